import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { connectEngine } from '../../../src/docker/engine';
import { BUNDLED_STACK, StackFixture } from '../../support/stackFixture';
import { useWorkspaceStack } from '../../support/useWorkspaceStack';
import { api, eventually } from './extensionApi';
import { stackRows, USERS_ROW } from './stackRows';

/** Records what the extension says in notifications (they still show). */
function spyOnMessages(): { readonly messages: string[]; restore(): void } {
  const messages: string[] = [];
  const originals = {
    showInformationMessage: vscode.window.showInformationMessage,
    showWarningMessage: vscode.window.showWarningMessage,
    showErrorMessage: vscode.window.showErrorMessage,
  };
  const record =
    (original: (...args: unknown[]) => unknown) =>
    (message: string, ...rest: unknown[]): unknown => {
      messages.push(message);
      return original.call(vscode.window, message, ...rest);
    };
  Object.assign(vscode.window, {
    showInformationMessage: record(originals.showInformationMessage as (...args: unknown[]) => unknown),
    showWarningMessage: record(originals.showWarningMessage as (...args: unknown[]) => unknown),
    showErrorMessage: record(originals.showErrorMessage as (...args: unknown[]) => unknown),
  });
  return { messages, restore: () => Object.assign(vscode.window, originals) };
}

describe('the stack, driven by commands inside VS Code', function () {
  this.timeout(120_000);
  // The real engine (its absence fails the suite); a test unpins sharedRedis.port.
  const stack = useWorkspaceStack({ restore: ['port'] });
  let fixture: StackFixture;
  const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('sharedRedis');
  before(() => {
    fixture = stack.fixture;
  });

  it('sharedRedis.composeFile as a list: every file is the stack, in order (like -f a -f b)', async () => {
    const before = config().inspect<unknown>('composeFile')?.workspaceValue;
    const override = join(fixture.dir, 'compose.local.yml');
    writeFileSync(override, 'services:\n  shared-redis:\n    labels:\n      team.local: "yes"\n');
    try {
      await config().update('composeFile', [fixture.composeFile, override], vscode.ConfigurationTarget.Workspace);
      const shared = await api();
      await eventually('the stack to read both files', () => {
        const { location } = shared.stack.settings();
        return JSON.stringify(location.composeFiles) === JSON.stringify([fixture.composeFile, override]);
      });
    } finally {
      await config().update('composeFile', before, vscode.ConfigurationTarget.Workspace);
      rmSync(override, { force: true });
    }
  });

  it("a checkout without the stack's .env: the Stack view offers to create it, and Create Stack writes it with new passwords", async () => {
    const shared = await api();
    const envFile = join(fixture.dir, '.env');
    const original = readFileSync(envFile);
    renameSync(envFile, `${envFile}.aside`);
    try {
      const before = await shared.stack.refresh();
      assert.equal(before.envFix?.exists === false && before.envFix.file, envFile, before.projectError);
      const [row] = await stackRows(shared);
      // Outside the workspace's folders the path is shown whole.
      assert.equal(row, `${envFile} is missing — click to create it with new passwords`);
      assert.equal(shared.statusBar.shown.text, '$(database) Redis: no .env');
      const composeFile = readFileSync(fixture.composeFile);
      // Start says what is missing and offers to create it; it writes nothing itself.
      const said = spyOnMessages();
      try {
        assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'invalid');
        assert.deepEqual(said.messages.splice(0), [
          `Could not start the shared Redis: ${envFile} is missing. This checkout has the stack's compose file but not its passwords (.env is never committed).`,
        ]);
        assert.equal(existsSync(envFile), false);
        assert.equal(shared.stack.snapshot.envFix?.file, envFile, 'still offered after Start');

        const created = await vscode.commands.executeCommand('sharedRedis.createStack');
        assert.equal(created, envFile, said.messages.join(' | '));
      } finally {
        said.restore();
      }
      assert.equal(statSync(envFile).mode & 0o777, 0o600);
      assert.ok((/^REDIS_PASSWORD=(.*)$/m.exec(readFileSync(envFile, 'utf8'))?.[1] ?? '').length >= 32);
      assert.ok(readFileSync(fixture.composeFile).equals(composeFile), 'the compose file is unchanged');
      const after = await shared.stack.refresh();
      assert.equal(after.projectError, undefined);
      assert.equal(after.envFix, undefined);

      // A .env that leaves the operator's password empty: the same click writes one into that line only.
      const emptied = original.toString('utf8').replace(/^REDIS_PASSWORD=.*$/m, 'REDIS_PASSWORD=');
      writeFileSync(envFile, emptied, { mode: 0o600 });
      const lacking = await shared.stack.refresh();
      assert.deepEqual(lacking.envFix, { file: envFile, exists: true, passwords: ['REDIS_PASSWORD'] });
      assert.equal((await stackRows(shared))[0], `${envFile} has no REDIS_PASSWORD — click to add new passwords`);
      assert.equal(shared.statusBar.shown.text, '$(database) Redis: passwords missing in .env');
      assert.equal(await vscode.commands.executeCommand('sharedRedis.createStack'), envFile);
      const filled = readFileSync(envFile, 'utf8');
      const password = /^REDIS_PASSWORD=(.*)$/m.exec(filled)?.[1] ?? '';
      assert.ok(password.length >= 32);
      assert.equal(
        filled,
        emptied.replace(/^REDIS_PASSWORD=$/m, `REDIS_PASSWORD=${password}`),
        'every other line kept',
      );
      assert.equal((await shared.stack.refresh()).envFix, undefined);
    } finally {
      rmSync(envFile, { force: true });
      renameSync(`${envFile}.aside`, envFile);
      assert.ok(readFileSync(envFile).equals(original));
      await shared.stack.refresh();
    }
  });

  it('sharedRedis.start brings the Stack view to running · healthy', async () => {
    const shared = await api();
    assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshStack'), 'absent');
    assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'running');
    await eventually(
      'the Stack view to show the service healthy',
      async () =>
        (await stackRows(shared)).join() ===
        `shared-redis — running · healthy · 127.0.0.1:${fixture.port},${USERS_ROW}`,
    );
  });

  it("then talks to the stack's Redis with the password from its .env", async () => {
    // The launcher pinned sharedRedis.port to its own redis-server; without that pin the
    // extension follows the healthy stack.
    await config().update('port', undefined, vscode.ConfigurationTarget.Workspace);
    const shared = await api();
    await eventually('the session to follow the stack', async () => shared.session.endpoint.port === fixture.port);
    const text = await vscode.commands.executeCommand<string>('sharedRedis.ping');
    assert.match(text, /^PONG in \d+(\.\d)? ms · Redis 7\./);
  });

  it("follows a change made outside the extension through the engine's events", async () => {
    const shared = await api();
    const { docker } = await connectEngine(undefined);
    const [container] = await docker.listContainers({
      filters: { label: [`com.docker.compose.project=${fixture.project}`] },
    });
    assert.ok(container);
    await docker.getContainer(container.Id).restart({ t: 1 });
    // No command runs: only the event stream can tell the view the container restarted
    // (its health goes back to starting, then healthy).
    await eventually('the row to show the restart', async () => (await stackRows(shared)).join().includes('starting'));
    await eventually(
      'the row to turn healthy again',
      async () =>
        (await stackRows(shared)).join() ===
        `shared-redis — running · healthy · 127.0.0.1:${fixture.port},${USERS_ROW}`,
    );
  });

  it('lists each container of a service that has two, each row with an id of its own (VS Code refuses to draw a tree that repeats one)', async () => {
    const shared = await api();
    const provider = shared.views.stack;
    const { docker } = await connectEngine(undefined);
    const [running] = await docker.listContainers({
      filters: { label: [`com.docker.compose.project=${fixture.project}`] },
    });
    assert.ok(running);
    // A second container of the same service, as `docker compose up --scale` makes one, or as
    // Start leaves the old container renamed aside until the new one is ready.
    const second = await docker.createContainer({
      name: `${fixture.project}-shared-redis-2`,
      Image: running.Image,
      Labels: {
        'com.docker.compose.project': fixture.project,
        'com.docker.compose.service': 'shared-redis',
        'com.docker.compose.container-number': '2',
        'com.docker.compose.oneoff': 'False',
      },
    });
    try {
      const rows = async (): Promise<{ id: string; text: string }[]> =>
        (await provider.getChildren()).map((row) => {
          const item = provider.getTreeItem(row);
          return { id: item.id ?? '(none)', text: `${String(item.label)} — ${String(item.description ?? '')}` };
        });
      await eventually(
        'the Stack view to list both containers',
        async () => (await rows()).filter((row) => row.text.startsWith('shared-redis — ')).length === 2,
      );
      const shown = await rows();
      const ids = shown.map((row) => row.id);
      assert.deepEqual(
        ids.filter((id, i) => ids.indexOf(id) !== i),
        [],
        JSON.stringify(shown),
      );
      // Two rows named alike: each says which container it is.
      assert.ok(
        shown.some((row) => row.text.startsWith(`shared-redis — ${fixture.project}-shared-redis-2 · created`)),
        JSON.stringify(shown),
      );
    } finally {
      await second.remove({ force: true });
    }
    await eventually(
      'the Stack view to list one container again',
      async () =>
        (await stackRows(shared)).join() ===
        `shared-redis — running · healthy · 127.0.0.1:${fixture.port},${USERS_ROW}`,
    );
  });

  it('sharedRedis.stop brings it to stopped, and start brings it back', async () => {
    const shared = await api();
    assert.equal(await vscode.commands.executeCommand('sharedRedis.stop'), 'stopped');
    await eventually(
      'the Stack view to show the service stopped',
      async () => (await stackRows(shared)).join() === `shared-redis — exited,${USERS_ROW}`,
    );
    assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'running');
  });

  it('sharedRedis.createStack writes the stack into the workspace once, with a generated password kept out of git', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(folder);
    const dir = join(folder, 'shared-redis');
    try {
      const composeFile = await vscode.commands.executeCommand<string>('sharedRedis.createStack', 'single');
      assert.equal(composeFile, join(dir, 'docker-compose.yml'));
      assert.equal(readFileSync(composeFile, 'utf8'), readFileSync(join(BUNDLED_STACK, 'docker-compose.yml'), 'utf8'));
      const env = readFileSync(join(dir, '.env'), 'utf8');
      assert.ok((/^REDIS_PASSWORD=(.*)$/m.exec(env)?.[1] ?? '').length >= 32);
      // One user per declared namespace, each with its own generated password; the ACL file holds hashes only.
      for (const ns of ['AUTH', 'USER', 'SHARED']) {
        assert.ok((new RegExp(`^REDIS_SERVICE_PASSWORD_${ns}=(.*)$`, 'm').exec(env)?.[1] ?? '').length >= 32, ns);
      }
      const acl = readFileSync(join(dir, 'acl', 'users.acl'), 'utf8');
      assert.deepEqual(
        acl
          .trim()
          .split('\n')
          .map((line) => line.split(' ').slice(0, 3).join(' ')),
        [
          'user default on',
          'user operator on',
          'user auth-service on',
          'user user-service on',
          'user shared-service on',
        ],
      );
      assert.ok(
        !/PASSWORD/.test(acl) &&
          ![...env.matchAll(/^[A-Z_]*PASSWORD[A-Z_]*=(.+)$/gm)].some((m) => acl.includes(m[1] ?? '-')),
      );
      assert.match(readFileSync(join(folder, '.gitignore'), 'utf8'), /^shared-redis\/\.env$/m);
      assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, composeFile, 'the new compose file is opened');

      writeFileSync(composeFile, '# edited by the team\n');
      assert.equal(await vscode.commands.executeCommand('sharedRedis.createStack', 'single'), undefined);
      assert.equal(readFileSync(composeFile, 'utf8'), '# edited by the team\n', 'nothing is overwritten');
      assert.equal(readFileSync(join(dir, '.env'), 'utf8'), env);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      rmSync(dir, { recursive: true, force: true });
      rmSync(join(folder, '.gitignore'), { force: true });
    }
  });
});

import * as assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Redis from 'ioredis';
import * as vscode from 'vscode';
import { parseDotenv } from '../../../src/docker/compose/dotenv';
import { connectEngine } from '../../../src/docker/engine';
import type { AddServiceUsersResult } from '../../../src/commands/security/serviceUsers';
import type { ServiceConnectionResult } from '../../../src/commands/security/serviceConnection';
import type { VerifyIsolationResult } from '../../../src/commands/security/verifyIsolation';
import type { BackupOutcome } from '../../../src/commands/backup/backup';
import type { RestoreOutcome } from '../../../src/commands/backup/restore';
import type { ImportOutcome } from '../../../src/commands/migration/importFromRedis';
import { filesUnder as filesOf } from '../../support/files';
import { startRedisServer } from '../../support/redisServer';
import { StackFixture } from '../../support/stackFixture';
import { useWorkspaceStack } from '../../support/useWorkspaceStack';
import { suiteConfig } from './config';
import { NOT_ASKING_KEY } from '../../../src/keyChanges';
import { api, eventually } from './extensionApi';

/** Every file under `dir` (settings, logs) small enough to read as text. */
const filesUnder = (dir: string): string[] => filesOf(dir, (_path, stat) => stat.size < 20_000_000);

function commandLines(): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      } catch {
        return '';
      }
    });
}

describe('one Redis user per service on a real stack, and no secret in sight', function () {
  this.timeout(180_000);
  const stack = useWorkspaceStack({ settings: { port: undefined, host: undefined }, restore: ['namespaces'] });
  let fixture: StackFixture;
  let env: Record<string, string>;
  const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('sharedRedis');
  /** Every notification the extension shows during this suite, recorded on the way to the real API. */
  const notifications: string[] = [];
  const originals = {
    info: vscode.window.showInformationMessage,
    warn: vscode.window.showWarningMessage,
    error: vscode.window.showErrorMessage,
  };
  const clients: Redis[] = [];

  const readEnv = (): Record<string, string> => parseDotenv(readFileSync(join(fixture.dir, '.env'), 'utf8'));
  const login = async (username: string, password: string): Promise<Redis> => {
    const client = new Redis({
      host: '127.0.0.1',
      port: fixture.port,
      username,
      password,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    clients.push(client);
    await client.connect();
    return client;
  };
  const refused = async (promise: Promise<unknown>): Promise<string> => {
    try {
      await promise;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
    return assert.fail('expected NOPERM');
  };
  /** The Stack view's "Redis users" row and its children, as a user reads them: `label — description`. */
  const userRows = async (): Promise<string[]> => {
    const view = (await api()).views.stack as unknown as vscode.TreeDataProvider<unknown>;
    const read = async (row: unknown): Promise<string> => {
      const item = await view.getTreeItem(row);
      return `${String(item.label)} — ${String(item.description)}`;
    };
    const top = (await view.getChildren()) ?? [];
    const users = [];
    for (const row of top) if ((await read(row)).startsWith('Redis users')) users.push(row);
    assert.equal(users.length, 1, 'one Redis users row');
    return [await read(users[0]), ...(await Promise.all(((await view.getChildren(users[0])) ?? []).map(read)))];
  };
  const startedAt = async (): Promise<string> => {
    const { docker } = await connectEngine(undefined);
    const [container] = await docker.listContainers({
      filters: { label: [`com.docker.compose.project=${fixture.project}`] },
    });
    assert.ok(container);
    return (await docker.getContainer(container.Id).inspect()).State.StartedAt;
  };

  before(async () => {
    fixture = stack.fixture;
    // Spy on the window API the extension shares with this suite: calls still go through.
    const record = <T extends (...args: never[]) => unknown>(original: T) =>
      ((...args: unknown[]) => {
        notifications.push(String(args[0]));
        return (original as unknown as (...a: unknown[]) => unknown).apply(vscode.window, args);
      }) as unknown as T;
    Object.assign(vscode.window, {
      showInformationMessage: record(originals.info),
      showWarningMessage: record(originals.warn),
      showErrorMessage: record(originals.error),
    });
  });

  after(async () => {
    Object.assign(vscode.window, {
      showInformationMessage: originals.info,
      showWarningMessage: originals.warn,
      showErrorMessage: originals.error,
    });
    clients.forEach((c) => c.disconnect());
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('starts the stack as the operator user, and Add Service Users gives auth, user and shared their users without a restart', async () => {
    const shared = await api();
    assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'running');
    await eventually('the session to follow the stack', async () => shared.session.endpoint.port === fixture.port);
    assert.equal(shared.session.endpoint.username, 'operator');
    assert.match(await vscode.commands.executeCommand<string>('sharedRedis.ping'), /^PONG in /);
    const acl = readFileSync(join(fixture.dir, 'acl', 'users.acl'), 'utf8');
    assert.deepEqual(
      acl
        .trim()
        .split('\n')
        .map((l) => l.split(' ')[1]),
      ['default', 'operator'],
      'no service has a password in .env yet',
    );

    assert.deepEqual(await userRows(), [
      'Redis users — operator + 0 services · 3 to add',
      'operator — this extension · every key',
      'auth-service — not created yet',
      'user-service — not created yet',
      'shared-service — not created yet',
    ]);
    const before = await startedAt();
    const result = await vscode.commands.executeCommand<AddServiceUsersResult>('sharedRedis.addServiceUsers');
    assert.equal(result.outcome, 'added');
    assert.deepEqual(await userRows(), [
      'Redis users — operator + 3 services',
      'operator — this extension · every key',
      'auth-service — auth:* · reads shared:*',
      'user-service — user:* · reads shared:*',
      'shared-service — shared:*',
    ]);
    assert.deepEqual(result.added, ['auth', 'user', 'shared']);
    assert.equal(result.reload, 'reloaded');
    assert.equal(await startedAt(), before, 'the container was not restarted');
    env = readEnv();
    for (const ns of ['AUTH', 'USER', 'SHARED']) assert.ok((env[`REDIS_SERVICE_PASSWORD_${ns}`] ?? '').length >= 32);

    const auth = await login('auth-service', env['REDIS_SERVICE_PASSWORD_AUTH'] ?? '');
    assert.equal(await auth.set('auth:session:7', 'v'), 'OK');
    assert.match(await refused(auth.get('user:profile:7')), /^NOPERM/);
    assert.match(await refused(auth.call('FLUSHALL')), /^NOPERM/);
  });

  it("Copy Service Connection puts the service's .env lines on the clipboard and says so without the password", async () => {
    const result = await vscode.commands.executeCommand<ServiceConnectionResult>('sharedRedis.serviceConnection', {
      service: 'user',
      from: 'host',
    });
    assert.equal(result.outcome, 'copied');
    assert.deepEqual(result.variables, [
      'REDIS_HOST',
      'REDIS_PORT',
      'REDIS_USERNAME',
      'REDIS_PASSWORD',
      'REDIS_KEY_PREFIX',
    ]);
    const clipboard = await vscode.env.clipboard.readText();
    assert.equal(
      clipboard.split('\n').slice(1).join('\n'),
      `REDIS_HOST=127.0.0.1\nREDIS_PORT=${fixture.port}\nREDIS_USERNAME=user-service\nREDIS_PASSWORD=${env['REDIS_SERVICE_PASSWORD_USER']}\nREDIS_KEY_PREFIX=user:\n`,
    );
    assert.match(result.message ?? '', /REDIS_PASSWORD \(hidden\)/);
    assert.ok(!(result.message ?? '').includes(env['REDIS_SERVICE_PASSWORD_USER'] ?? '-'));
    const fromNetwork = await vscode.commands.executeCommand<ServiceConnectionResult>('sharedRedis.serviceConnection', {
      service: 'auth-service',
      from: 'network',
    });
    assert.equal(fromNetwork.outcome, 'copied');
    assert.match(
      await vscode.env.clipboard.readText(),
      /^REDIS_HOST=shared-redis\nREDIS_PORT=6379\nREDIS_USERNAME=auth-service\n/m,
    );
    const unknown = await vscode.commands.executeCommand<ServiceConnectionResult>('sharedRedis.serviceConnection', {
      service: 'billing',
      from: 'host',
    });
    assert.equal(unknown.outcome, 'failed');
    assert.equal(
      unknown.message,
      'No service user "billing" in the stack: it has auth-service, user-service, shared-service.',
    );
  });

  it("Verify Namespace Isolation proves every service user's limits and opens the table", async () => {
    const result = await vscode.commands.executeCommand<VerifyIsolationResult>('sharedRedis.verifyIsolation');
    assert.equal(result.outcome, 'verified', result.message);
    assert.match(
      result.message,
      new RegExp(
        `^Namespace isolation holds on 127\\.0\\.0\\.1:${fixture.port}: 3 service users, \\d+ checks, no breach\\.$`,
      ),
    );
    const editor = vscode.window.activeTextEditor;
    assert.equal(editor?.document.uri.scheme, 'shared-redis-report');
    assert.equal(editor?.document.languageId, 'markdown');
    const text = editor?.document.getText() ?? '';
    assert.match(text, /^# Namespace isolation on 127\.0\.0\.1:\d+\n/);
    assert.match(text, /## auth-service\n\n\| Check \| Expected \| Result \| Server answer \|/);
    assert.match(
      text,
      /\| SET user:__shared_redis_isolation_probe__:[0-9a-f]+ \(user-service's namespace\) \| refused \| ✓ refused \| NOPERM/,
    );
    assert.match(text, /\| FLUSHALL \(denied command, simulated with ACL DRYRUN\) \| refused \| ✓ refused \|/);
  });

  it('a namespace added to the setting gets its user through ACL LOAD, with the stack still running', async () => {
    const before = await startedAt();
    await config().update(
      'namespaces',
      [
        { name: 'auth', owner: 'Auth Service' },
        { name: 'user', owner: 'User Service' },
        { name: 'shared', owner: 'Shared' },
        { name: 'billing', owner: 'Billing Service' },
      ],
      vscode.ConfigurationTarget.Workspace,
    );
    // The setting change offers it in a notification; the button runs this command with the namespaces.
    await eventually('the offer to add billing-service', async () =>
      notifications.some((n) =>
        n.startsWith('Namespace billing has no Redis user yet. Add billing-service to users.acl'),
      ),
    );
    // The Stack view re-reads the stack's users on its own refresh after the setting change,
    // which may come a moment after the offer.
    const expected = ['Redis users — operator + 3 services · 1 to add', 'billing-service — not created yet'];
    const rowsNow = async (): Promise<string[]> => (await userRows()).filter((r) => /^(Redis users|billing)/.test(r));
    await eventually(
      'the Stack view to list billing-service as not created yet',
      async () => JSON.stringify(await rowsNow()) === JSON.stringify(expected),
    ).catch(() => undefined);
    assert.deepEqual(await rowsNow(), expected);
    const result = await vscode.commands.executeCommand<AddServiceUsersResult>('sharedRedis.addServiceUsers', [
      'billing',
    ]);
    assert.deepEqual([result.outcome, result.added, result.reload], ['added', ['billing'], 'reloaded']);
    assert.deepEqual(
      (await userRows()).filter((r) => /^(Redis users|billing)/.test(r)),
      ['Redis users — operator + 4 services', 'billing-service — billing:* · reads shared:*'],
    );
    env = readEnv();
    const billing = await login('billing-service', env['REDIS_SERVICE_PASSWORD_BILLING'] ?? '');
    assert.equal(await billing.set('billing:invoice:1', '42'), 'OK');
    assert.match(await refused(billing.get('auth:session:7')), /^NOPERM/);
    assert.equal(await startedAt(), before, 'no restart');
  });

  it('no password shows up in settings, logs, messages, tree tooltips or any command line after running the commands', async () => {
    const shared = await api();
    // Every command once, against the stack (the operator's password in play), plus a refused password.
    const run = async (command: string, ...args: unknown[]): Promise<void> => {
      await vscode.commands.executeCommand(command, ...args);
    };
    await run('sharedRedis.ping');
    await run('sharedRedis.info');
    await run('sharedRedis.namespaceStats', 'auth');
    await run('sharedRedis.refreshKeys');
    await run('sharedRedis.inspectKey', 'auth:session:7');
    // Writes into auth:* ask whose namespace it is (a modal this suite does not answer): answered for good beforehand.
    await shared.workspaceState.update(NOT_ASKING_KEY, ['auth']);
    await run('sharedRedis.setTtl', 'auth:session:7', '10m');
    await run('sharedRedis.persistKey', 'auth:session:7');
    await shared.workspaceState.update(NOT_ASKING_KEY, undefined);
    await run('sharedRedis.copyKeyName', 'auth:session:7');
    await run('sharedRedis.showLogs');
    await run('sharedRedis.serviceConnection', { service: 'shared', from: 'host' });
    await run('sharedRedis.verifyIsolation');
    await run('sharedRedis.filterKeys', { match: 'auth:*' });
    await run('sharedRedis.clearKeyFilter');
    await run('sharedRedis.deleteNamespace', 'sectest:empty:'); // nothing to delete: no confirmation
    await run('sharedRedis.checkNamespaces');
    // user:* is the User Service's: its owner question answered for good beforehand, as above.
    await shared.workspaceState.update(NOT_ASKING_KEY, ['user']);
    await run('sharedRedis.setTtlOnKeysWithoutTtl', 'user:profile', '10m', { confirm: true });
    await shared.workspaceState.update(NOT_ASKING_KEY, undefined);
    await run('sharedRedis.refreshStack');
    await run('sharedRedis.openStackFile');
    assert.equal(await vscode.commands.executeCommand('sharedRedis.restart'), 'running');
    const backups = mkdtempSync(join(tmpdir(), 'sectest-backups-'));
    const backup = await vscode.commands.executeCommand<BackupOutcome>('sharedRedis.backup', { folder: backups });
    assert.equal(backup.outcome, 'done', backup.message);
    if (backup.outcome === 'done') {
      const restored = await vscode.commands.executeCommand<RestoreOutcome>('sharedRedis.restore', {
        file: backup.file,
        folder: backups,
        confirm: true,
      });
      assert.equal(restored.outcome, 'restored', restored.message);
    }
    // A dry-run import from another password-protected Redis: its password is one more secret to look for.
    const sourcePassword = `source-${randomBytes(16).toString('hex')}`;
    const source = await startRedisServer({ password: sourcePassword });
    try {
      const imported = await vscode.commands.executeCommand<ImportOutcome>('sharedRedis.importFromRedis', {
        source: { host: source.host, port: source.port, password: sourcePassword },
        mappings: [{ source: 'session', target: 'auth:session' }],
        mode: 'dry-run',
      });
      assert.equal(imported.outcome, 'done', imported.message);
      const refusedSource = await vscode.commands.executeCommand<ImportOutcome>('sharedRedis.importFromRedis', {
        source: { host: source.host, port: source.port, password: `${sourcePassword}-wrong` },
        mappings: [{ source: 'session', target: 'auth:session' }],
        mode: 'dry-run',
      });
      assert.equal(refusedSource.outcome, 'failed', refusedSource.message);
      notifications.push(imported.report ?? '', refusedSource.message);
    } finally {
      await source.stop();
    }
    const cli = await vscode.commands.executeCommand<{
      pty?: { waitForOutput(re: RegExp, ms?: number): Promise<void>; handleInput(s: string): void };
      terminal?: vscode.Terminal;
    }>('sharedRedis.openCli');
    await cli.pty?.waitForOutput(/> $/, 20_000);
    cli.pty?.handleInput('PING\r');
    await cli.pty?.waitForOutput(/PONG/);
    const wrong = `wrong-${Math.random().toString(36).slice(2)}-password-value`;
    const prompt = shared.session.prompt;
    shared.session.prompt = undefined; // the ask-once prompt is covered by the e2e level
    try {
      await run('sharedRedis.setPassword', { username: 'operator', password: wrong });
      const failure = await vscode.commands.executeCommand<string>('sharedRedis.ping');
      assert.match(failure, /password|WRONGPASS|refused/i, failure);
    } finally {
      await run('sharedRedis.setPassword', { password: '' });
      shared.session.prompt = prompt;
    }
    assert.match(
      await vscode.commands.executeCommand<string>('sharedRedis.ping'),
      /^PONG/,
      "back on the stack's own credentials",
    );

    const secrets = Object.entries(readEnv())
      .filter(([key, value]) => key.includes('PASSWORD') && value.length >= 16)
      .map(([, value]) => value)
      .concat(wrong, sourcePassword);
    assert.ok(secrets.length >= 7, `${secrets.length} secrets to look for`);
    const leaks: string[] = [];
    const check = (where: string, text: string): void => {
      for (const secret of secrets) if (text.includes(secret)) leaks.push(`${where} holds ${secret.slice(0, 4)}…`);
    };
    // Settings: the workspace's and the user's.
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    for (const file of filesUnder(join(folder, '.vscode'))) check(file, readFileSync(file, 'latin1'));
    const userDataDir = dirname(suiteConfig().logsDir);
    for (const file of filesUnder(join(userDataDir, 'User')).filter((f) => /\.json$/.test(f))) {
      check(file, readFileSync(file, 'latin1'));
    }
    // Logs: the output channel's file and every other log of this VS Code.
    await new Promise((r) => setTimeout(r, 1500)); // log files are flushed asynchronously
    const logs = filesUnder(suiteConfig().logsDir);
    assert.ok(
      logs.some((f) => /Shared Redis\.log$/.test(f)),
      `the extension's log file is among ${logs.length} log files`,
    );
    for (const file of logs) check(file, readFileSync(file, 'latin1'));
    // Notifications and the messages commands returned.
    assert.ok(notifications.length >= 5, `${notifications.length} notifications recorded`);
    for (const text of notifications) check(`notification "${text.slice(0, 60)}"`, text);
    // Tree rows and their tooltips, resolved as on hover.
    // Editors: key documents, the INFO and isolation reports, the import summary, the stack file.
    for (const document of vscode.workspace.textDocuments) {
      check(`document ${document.uri.toString()}`, document.getText());
    }
    for (const provider of [
      shared.views.stack,
      shared.views.keys,
      shared.views.checks,
    ] as unknown as vscode.TreeDataProvider<unknown>[]) {
      const visit = async (element: unknown, depth: number): Promise<void> => {
        for (const child of (await provider.getChildren(element)) ?? []) {
          let item = await provider.getTreeItem(child);
          if (provider.resolveTreeItem) {
            item = (await provider.resolveTreeItem(item, child, new vscode.CancellationTokenSource().token)) ?? item;
          }
          const tooltip =
            item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : String(item.tooltip ?? '');
          check(`tree row ${String(item.label)}`, `${String(item.label)} ${String(item.description ?? '')} ${tooltip}`);
          if (depth < 3 && item.collapsibleState !== vscode.TreeItemCollapsibleState.None) {
            await visit(child, depth + 1);
          }
        }
      };
      await visit(undefined, 0);
    }
    // Every process's command line on this machine, redis-cli's and the container's included.
    commandLines().forEach((line, i) => check(`command line #${i}`, line));
    cli.terminal?.dispose();
    assert.deepEqual(leaks, []);
  });

  it("Start takes an indented hand-written line as that user's own, and says so when Redis refuses to reload users.acl", async () => {
    const aclFile = join(fixture.dir, 'acl', 'users.acl');
    const original = readFileSync(aclFile, 'utf8');
    const lines = original.trim().split('\n');
    const without = (name: string): string[] => lines.filter((l) => !l.startsWith(`user ${name} `));
    const authLine = lines.find((l) => l.startsWith('user auth-service '));
    assert.ok(authLine);
    try {
      // Redis trims lines, so an indented line is auth-service's; billing-service's line is
      // gone, so Start has a line to write and reloads the ACL.
      writeFileSync(
        aclFile,
        [...without('auth-service'), `  ${authLine}`].filter((l) => !l.startsWith('user billing-service ')).join('\n') +
          '\n',
      );
      const seen = notifications.length;
      assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'running');
      const after = readFileSync(aclFile, 'utf8');
      assert.equal(after.split('\n').filter((l) => /^\s*user\s+auth-service\s/.test(l)).length, 1, after);
      assert.deepEqual(
        notifications.slice(seen).filter((n) => /users\.acl/.test(n)),
        [],
        'the reload went through: nothing to warn about',
      );
      const auth = await login('auth-service', env['REDIS_SERVICE_PASSWORD_AUTH'] ?? '');
      assert.equal(await auth.get('auth:session:7'), 'v');

      // A line Redis refuses: Start cannot apply the file, and a restart would not start.
      writeFileSync(
        aclFile,
        [...without('billing-service'), 'user reports on >pw ~reports:* +nosuchcommand'].join('\n') + '\n',
      );
      const before = notifications.length;
      assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'running');
      const warning = notifications.slice(before).find((n) => /users\.acl/.test(n));
      assert.ok(warning, `a warning about users.acl among ${JSON.stringify(notifications.slice(before))}`);
      assert.match(warning, /acl\/users\.acl/, 'names the file');
      assert.match(warning, /nosuchcommand|Unknown command/i, "gives Redis's reason");
    } finally {
      writeFileSync(aclFile, original);
    }
  });

  it("Start keeps service users' lines changed by hand or by another delimiter and says once which differ; Add Service Users asks before replacing them", async () => {
    const aclFile = join(fixture.dir, 'acl', 'users.acl');
    const original = readFileSync(aclFile, 'utf8');
    const lineOf = (text: string, name: string): string =>
      text.split('\n').find((l) => l.startsWith(`user ${name} `)) ?? '';
    const edited = original
      .replace(lineOf(original, 'auth-service'), `${lineOf(original, 'auth-service')} ~reports:*`)
      .replace(
        lineOf(original, 'user-service'),
        lineOf(original, 'user-service').replace(/#[0-9a-f]{64}/, '>hand-set-password'),
      );
    const aboutLines = (from: number): string[] => notifications.slice(from).filter((n) => /auth-service/.test(n));
    const spy = vscode.window.showWarningMessage;
    const asked: string[] = [];
    let answer: string | undefined;
    try {
      writeFileSync(aclFile, edited);
      const auth = await login('auth-service', env['REDIS_SERVICE_PASSWORD_AUTH'] ?? '');
      let seen = notifications.length;
      assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'running');
      assert.equal(readFileSync(aclFile, 'utf8'), edited, 'Start left the hand-edited lines as they are');
      const told = aboutLines(seen);
      assert.equal(told.length, 1, JSON.stringify(notifications.slice(seen)));
      assert.match(told[0] ?? '', /auth-service \(key patterns\)/);
      assert.match(told[0] ?? '', /user-service \(password\)/);
      assert.match(told[0] ?? '', /Add Service Users/);
      assert.equal(await auth.get('auth:session:7'), 'v', 'no reload: the service kept its connection');
      seen = notifications.length;
      assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'running');
      assert.deepEqual(aboutLines(seen), [], 'told once');

      // Another change to the same part is told again, and a line that reaches every key says so.
      const widened = edited.replace(
        lineOf(edited, 'auth-service'),
        lineOf(edited, 'auth-service').replace('~reports:*', '~*'),
      );
      writeFileSync(aclFile, widened);
      seen = notifications.length;
      assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'running');
      assert.match(aboutLines(seen)[0] ?? '', /auth-service \(key patterns\).*auth-service may reach every key/s);
      writeFileSync(aclFile, edited);

      // A window whose delimiter differs keeps the other windows' key patterns too.
      await config().update('delimiter', '.', vscode.ConfigurationTarget.Workspace);
      seen = notifications.length;
      assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'running');
      assert.equal(readFileSync(aclFile, 'utf8'), edited, 'the delimiter "." rewrote no line');
      assert.match(aboutLines(seen)[0] ?? '', /shared-service \(key patterns\)/);
      assert.equal(await auth.get('auth:session:7'), 'v', 'auth-service still reads its own keys');
      await config().update('delimiter', undefined, vscode.ConfigurationTarget.Workspace);

      // Add Service Users asks (modal), naming the users; declining changes nothing.
      Object.assign(vscode.window, {
        showWarningMessage: (message: string, ...rest: unknown[]) => {
          if ((rest[0] as vscode.MessageOptions | undefined)?.modal) {
            asked.push(message);
            return Promise.resolve(answer);
          }
          return (spy as (...a: unknown[]) => unknown)(message, ...rest);
        },
      });
      await vscode.commands.executeCommand<AddServiceUsersResult>('sharedRedis.addServiceUsers');
      assert.equal(asked.length, 1);
      assert.match(asked[0] ?? '', /auth-service.*user-service/);
      assert.match(asked[0] ?? '', /disconnect/i, 'says that reloading the ACL disconnects clients');
      assert.equal(readFileSync(aclFile, 'utf8'), edited, 'declined: nothing replaced');
      answer = 'Replace';
      const replaced = await vscode.commands.executeCommand<AddServiceUsersResult>('sharedRedis.addServiceUsers');
      assert.equal(replaced.reload, 'reloaded', replaced.message);
      assert.equal(readFileSync(aclFile, 'utf8'), original, 'our lines again, in place');
      const user = await login('user-service', env['REDIS_SERVICE_PASSWORD_USER'] ?? '');
      assert.equal(await user.ping(), 'PONG');
    } finally {
      Object.assign(vscode.window, { showWarningMessage: spy });
      await config().update('delimiter', undefined, vscode.ConfigurationTarget.Workspace);
      if (readFileSync(aclFile, 'utf8') !== original) {
        writeFileSync(aclFile, original);
        await vscode.commands.executeCommand('sharedRedis.addServiceUsers');
      }
    }
  });

  it("Add Service Users names users.acl and Redis's reason when Redis refuses to reload it, and does not advise a restart that would fail", async () => {
    const aclFile = join(fixture.dir, 'acl', 'users.acl');
    const original = readFileSync(aclFile, 'utf8');
    const authLine = original.split('\n').find((l) => l.startsWith('user auth-service ')) ?? '';
    const spy = vscode.window.showWarningMessage;
    try {
      writeFileSync(
        aclFile,
        `${original.replace(authLine, `${authLine} ~reports:*`)}user reports on >pw ~reports:* +nosuchcommand\n`,
      );
      Object.assign(vscode.window, {
        showWarningMessage: (message: string, ...rest: unknown[]) =>
          (rest[0] as vscode.MessageOptions | undefined)?.modal
            ? Promise.resolve('Replace')
            : (spy as (...a: unknown[]) => unknown)(message, ...rest),
      });
      const result = await vscode.commands.executeCommand<AddServiceUsersResult>('sharedRedis.addServiceUsers');
      assert.equal(result.reload, 'failed', result.message);
      assert.ok(result.message.includes(vscode.workspace.asRelativePath(aclFile)), result.message);
      assert.match(result.message, /nosuchcommand|Unknown command/i);
      assert.doesNotMatch(result.message, /Restart the stack/, 'Redis would not start on this file');
    } finally {
      Object.assign(vscode.window, { showWarningMessage: spy });
      writeFileSync(aclFile, original);
    }
  });

  it("a malformed .env is named by file, line and variable in the Stack view, Start's message and the logs, never by its value", async () => {
    const shared = await api();
    const envFile = join(fixture.dir, '.env');
    const original = readFileSync(envFile, 'utf8');
    const marker = randomBytes(8).toString('hex');
    const broken = [
      `REDIS_PASSWORD=s3cr$1t-${marker}`,
      `REDIS_PASSWORD="s3cr3t-${marker}`,
      `REDIS_PASSWORD=s3cr3t-${marker}\${oops`,
      `REDIS_PASSWORD=s3cr3t-${marker}\${MISSING:?${marker}}`,
      `REDIS_PASSWORD=\ns3cr3t!${marker}`,
      `REDIS_PASSWORD=\ns3cr3t ${marker}`,
    ];
    const seen: string[] = [];
    try {
      for (const line of broken) {
        writeFileSync(
          envFile,
          original.replace(/^REDIS_PASSWORD=.*$/m, () => line),
          { mode: 0o600 },
        );
        const snapshot = await shared.stack.refresh();
        assert.match(
          snapshot.projectError ?? '',
          new RegExp(`^${envFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} line \\d+: `),
          snapshot.projectError,
        );
        seen.push(snapshot.projectError ?? '');
        await vscode.commands.executeCommand('sharedRedis.start'); // refused: the message goes through the notifications spy
      }
    } finally {
      writeFileSync(envFile, original, { mode: 0o600 });
      await shared.stack.refresh();
    }
    await new Promise((r) => setTimeout(r, 1500)); // log files are flushed asynchronously
    const places = [
      ...seen.map((text) => ['Stack view problem row', text]),
      ...notifications.map((text) => ['notification', text]),
      ...filesUnder(suiteConfig().logsDir).map((file) => [file, readFileSync(file, 'latin1')]),
    ];
    assert.ok(
      notifications.some((n) => n.includes(`${envFile} line`)),
      'Start said which file and line',
    );
    assert.deepEqual(
      places.filter(([, text]) => (text ?? '').includes(marker)).map(([where]) => where),
      [],
    );
  });
});

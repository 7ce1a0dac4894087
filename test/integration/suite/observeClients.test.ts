import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import * as vscode from 'vscode';
import type { RunOutcome } from '../../../src/checksRunner';
import type { ClientsState } from '../../../src/clientsMonitor';
import type { KillClientResult } from '../../../src/commands/observe/clients';
import type { LogResult, ResetSlowLogResult } from '../../../src/commands/observe/logs';
import type { AddServiceUsersResult } from '../../../src/commands/security/serviceUsers';
import { parseDotenv } from '../../../src/docker/compose/dotenv';
import type { DeniedAccess } from '../../../src/redis/observe/aclLog';
import type { SlowLog } from '../../../src/redis/observe/slowLog';
import type { ClientsRow, ClientsView } from '../../../src/views/clientsView';
import { useWorkspaceStack } from '../../support/useWorkspaceStack';
import { api, eventually, steady } from './extensionApi';

/** What a user reads on a row: `label — description`. */
function rowText(view: ClientsView, row: ClientsRow): string {
  const item = view.getTreeItem(row);
  return `${String(item.label)} — ${String(item.description)}`;
}

/** Calls and refusals of a command so far, from INFO commandstats (`cmdstat_client|list`). */
async function commandStats(redis: Redis, command: string): Promise<{ calls: number; rejected: number }> {
  const info = await redis.info('commandstats');
  const line = info.split('\n').find((l) => l.startsWith(`cmdstat_${command}:`)) ?? '';
  return {
    calls: Number(/calls=(\d+)/.exec(line)?.[1] ?? 0),
    rejected: Number(/rejected_calls=(\d+)/.exec(line)?.[1] ?? 0),
  };
}

describe('which service does what: clients, slow log and denied accesses on a real stack', function () {
  this.timeout(180_000);
  const stack = useWorkspaceStack({ settings: { port: undefined, host: undefined }, restore: ['readOnly'] });
  const clients: Redis[] = [];
  /** The modal questions the extension asked, answered by `answer`; other messages are recorded. */
  const questions: string[] = [];
  const messages: string[] = [];
  let answer: string | undefined;
  const originals = {
    info: vscode.window.showInformationMessage,
    warn: vscode.window.showWarningMessage,
    error: vscode.window.showErrorMessage,
  };
  let operator: Redis;
  /** The default user (the operator's rules and password): changes the operator's rights and restores them. */
  let admin: Redis;
  let auth: Redis;
  let user: Redis;

  const login = async (username: string | undefined, password: string, connectionName: string): Promise<Redis> => {
    const client = new Redis({
      host: '127.0.0.1',
      port: stack.fixture.port,
      ...(username ? { username } : {}),
      password,
      connectionName,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    clients.push(client);
    await client.connect();
    return client;
  };
  const view = async (): Promise<ClientsView> => (await api()).views.clients;
  const topRows = async (): Promise<string[]> => {
    const v = await view();
    return v.getChildren().map((row) => rowText(v, row));
  };
  const childRows = async (label: string): Promise<string[]> => {
    const v = await view();
    const group = v.getChildren().find((row) => v.getTreeItem(row).label === label);
    assert.ok(group, `a group ${label} in ${JSON.stringify(await topRows())}`);
    return v.getChildren(group).map((row) => rowText(v, row));
  };

  before(async () => {
    const record =
      (original: (...a: never[]) => unknown) =>
      (...args: unknown[]): unknown => {
        messages.push(String(args[0]));
        return (original as (...a: unknown[]) => unknown).apply(vscode.window, args);
      };
    Object.assign(vscode.window, {
      showInformationMessage: record(originals.info),
      showErrorMessage: record(originals.error),
      showWarningMessage: (message: string, ...rest: unknown[]): unknown => {
        const options = rest[0] as vscode.MessageOptions | undefined;
        if (options && typeof options === 'object' && options.modal) {
          questions.push(`${message}\n${options.detail ?? ''}`);
          return Promise.resolve(answer);
        }
        return record(originals.warn)(message, ...rest);
      },
    });
    assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'running');
    const added = await vscode.commands.executeCommand<AddServiceUsersResult>('sharedRedis.addServiceUsers');
    assert.equal(added.outcome, 'added');
    const env = parseDotenv(readFileSync(join(stack.fixture.dir, '.env'), 'utf8'));
    operator = await login('operator', env['REDIS_PASSWORD'] ?? '', 'observe-test-operator');
    admin = await login(undefined, env['REDIS_PASSWORD'] ?? '', 'observe-test-admin');
    auth = await login('auth-service', env['REDIS_SERVICE_PASSWORD_AUTH'] ?? '', 'auth-api');
    user = await login('user-service', env['REDIS_SERVICE_PASSWORD_USER'] ?? '', 'user-api');
    await auth.set('auth:session:42', 'token');
    await user.set('user:profile:42', '{}');
  });

  after(async () => {
    Object.assign(vscode.window, {
      showInformationMessage: originals.info,
      showWarningMessage: originals.warn,
      showErrorMessage: originals.error,
    });
    clients.forEach((c) => c.disconnect());
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
  });

  it("Clients shows each service with its connections, the extension's own marked, and a service that is not connected", async () => {
    const state = await vscode.commands.executeCommand<ClientsState>('sharedRedis.showClients');
    assert.equal(state.kind, 'ready', JSON.stringify(state));
    const top = await topRows();
    assert.match(top[0] ?? '', /^auth-service — Auth Service · 1 connection · oldest \d+s · idle \d+s$/);
    assert.match(top[1] ?? '', /^user-service — User Service · 1 connection · oldest \d+s · idle \d+s$/);
    assert.ok(
      top.some((r) => /^operator — \d+ connections \(\d+ this extension\) · /.test(r)),
      `an operator group with the extension's connections in ${JSON.stringify(top)}`,
    );
    assert.equal(top[top.length - 1], 'shared-service — Shared · not connected');
    assert.match(
      (await childRows('auth-service'))[0] ?? '',
      /^[\d.]+:\d+ — "auth-api" · db 0 · age \d+s · idle \d+s · last set$/,
    );
    const operatorRows = await childRows('operator');
    assert.ok(
      operatorRows.some((r) => / — this extension \(shared-redis-vscode\) · db 0 · /.test(r)),
      JSON.stringify(operatorRows),
    );
    assert.match((await view()).view.description ?? '', /^\d+ connections · 1 not connected · /);
  });

  it('reads the clients every 2 s while the view is visible, and not once it is hidden', async () => {
    const monitor = (await api()).clients;
    await vscode.commands.executeCommand('sharedRedis.showClients');
    assert.equal(monitor.isWatching, true);
    const start = (await commandStats(operator, 'client|list')).calls;
    await eventually('two more CLIENT LIST calls while visible', async () =>
      (await commandStats(operator, 'client|list')).calls >= start + 2 ? true : undefined,
    );
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    await eventually('the view to be hidden', async () => ((await view()).view.visible ? undefined : true));
    assert.equal(monitor.isWatching, false);
    // A read in flight when the view was hidden may still land (late on a loaded machine); after it, nothing.
    const hidden = await steady(async () => (await commandStats(operator, 'client|list')).calls, 1000);
    // Three periods of the 2 s timer: a timer left behind would have read at least once.
    await new Promise((resolve) => setTimeout(resolve, 6500));
    assert.equal((await commandStats(operator, 'client|list')).calls, hidden, 'no CLIENT LIST while hidden');
  });

  it("Kill Client… asks naming the service, address and name, is refused under readOnly and for the extension's own connections", async () => {
    const state = await vscode.commands.executeCommand<ClientsState>('sharedRedis.showClients');
    assert.equal(state.kind, 'ready');
    const groups = state.kind === 'ready' ? state.snapshot.groups : [];
    const userApi = groups.find((g) => g.user === 'user-service')?.clients[0];
    const own = groups.flatMap((g) => g.clients).find((c) => c.name === 'shared-redis-vscode');
    assert.ok(userApi && own);

    const config = vscode.workspace.getConfiguration('sharedRedis');
    await config.update('readOnly', true, vscode.ConfigurationTarget.Workspace);
    try {
      const refused = await vscode.commands.executeCommand<KillClientResult>('sharedRedis.killClient', {
        client: userApi,
      });
      assert.equal(refused.outcome, 'refused');
      assert.match(refused.message ?? '', /read-only .*Kill Client was not run/);
    } finally {
      await config.update('readOnly', undefined, vscode.ConfigurationTarget.Workspace);
    }
    assert.equal(await user.ping(), 'PONG', 'user-api still connected');

    const ownRefused = await vscode.commands.executeCommand<KillClientResult>('sharedRedis.killClient', {
      client: own,
    });
    assert.equal(ownRefused.outcome, 'refused');
    assert.match(
      ownRefused.message ?? '',
      /\(shared-redis-vscode\) is Shared Redis's own connection: Kill Client does not close it/,
    );

    answer = undefined;
    const cancelled = await vscode.commands.executeCommand<KillClientResult>('sharedRedis.killClient', {
      client: userApi,
    });
    assert.equal(cancelled.outcome, 'cancelled');
    assert.equal(await user.ping(), 'PONG', 'cancelling kills nothing');
    assert.match(
      questions[questions.length - 1] ?? '',
      new RegExp(
        `^Kill the connection of User Service \\(user user-service\\) from ${userApi.addr.replace(/\./g, '\\.')}, named "user-api"\\?\\nCLIENT KILL ID ${userApi.id} `,
      ),
    );

    answer = 'Kill Client';
    const killed = await vscode.commands.executeCommand<KillClientResult>('sharedRedis.killClient', {
      client: userApi,
    });
    assert.equal(killed.outcome, 'killed', killed.message);
    const names = ((await operator.call('CLIENT', 'LIST')) as string).split('\n');
    assert.ok(!names.some((l) => / name=user-api /.test(l)), 'user-api is gone from CLIENT LIST');
    const again = await vscode.commands.executeCommand<KillClientResult>('sharedRedis.killClient', userApi.id);
    assert.equal(again.outcome, 'gone');
    // The service reconnects, as a real one would.
    const env = parseDotenv(readFileSync(join(stack.fixture.dir, '.env'), 'utf8'));
    user = await login('user-service', env['REDIS_SERVICE_PASSWORD_USER'] ?? '', 'user-api');
  });

  it('Kill Client on a row whose id is now another connection (ids start at 1 again after a restart) kills nothing and says so', async () => {
    const state = await vscode.commands.executeCommand<ClientsState>('sharedRedis.showClients');
    const groups = state.kind === 'ready' ? state.snapshot.groups : [];
    const userApi = groups.find((g) => g.user === 'user-service')?.clients.find((c) => c.name === 'user-api');
    assert.ok(userApi);
    // The row as the view showed it before a restart: another service's connection that had this id.
    // (A fabricated row: restarting the suite's stack to have Redis hand the id out again costs a minute.)
    const before = { ...userApi, user: 'auth-service', addr: '127.0.0.1:1', name: 'auth-api' };
    answer = 'Kill Client';
    const result = await vscode.commands.executeCommand<KillClientResult>('sharedRedis.killClient', { client: before });
    assert.equal(result.outcome, 'gone', result.message);
    assert.match(
      result.message ?? '',
      new RegExp(`^Client #${userApi.id} \\(auth-service, 127\\.0\\.0\\.1:1\\) is no longer connected`),
    );
    assert.equal(await user.ping(), 'PONG', 'the connection that has the id now is not killed');
  });

  it('Denied Accesses shows the refusal with the service name; a wrong password without the password', async () => {
    await operator.call('ACL', 'LOG', 'RESET');
    await assert.rejects(user.get('auth:session:42'), /NOPERM/);
    await assert.rejects(login('auth-service', 'not-the-password', 'bad-login'));
    const result = await vscode.commands.executeCommand<LogResult<DeniedAccess[]>>('sharedRedis.showDeniedAccesses');
    assert.equal(result.outcome, 'shown', JSON.stringify(result));
    const entries = result.outcome === 'shown' ? result.log : [];
    const denied = entries.find((e) => e.reason === 'key');
    assert.deepEqual(
      [denied?.username, denied?.service, denied?.object, denied?.command],
      ['user-service', 'User Service', 'auth:session:42', 'get'],
    );
    const text = vscode.window.activeTextEditor?.document.getText() ?? '';
    assert.match(text, /^# Denied accesses on /);
    assert.match(
      text,
      /- \*\*user-service\*\* \(User Service\) tried `GET auth:session:42`: no permission for the key \(1×, last \d+ s ago\) — from [\d.]+:\d+ "user-api"/,
    );
    assert.match(text, /- \*\*auth-service\*\* \(Auth Service\) failed to log in: wrong password/);
    assert.doesNotMatch(text, /not-the-password/);
  });

  it('Slow Log shows the service of a slow command; Reset Slow Log asks, and is refused under readOnly', async () => {
    // This test's own stack only: every command is slow from now on.
    await operator.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    try {
      await operator.call('SLOWLOG', 'RESET');
      // A failed AUTH is logged too, its arguments redacted; the connection stays auth-service.
      await assert.rejects(auth.call('AUTH', 'auth-service', 'whatever-secret'), /WRONGPASS/);
      await auth.set('auth:token:big', 'x'.repeat(1000));
    } finally {
      await operator.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
    }
    const result = await vscode.commands.executeCommand<LogResult<SlowLog>>('sharedRedis.showSlowLog');
    assert.equal(result.outcome, 'shown', JSON.stringify(result));
    const slow = result.outcome === 'shown' ? result.log : undefined;
    const set = slow?.entries.find((e) => e.args[0]?.toLowerCase() === 'set' && e.args[1] === 'auth:token:big');
    assert.deepEqual([set?.user, set?.service, set?.clientName], ['auth-service', 'Auth Service', 'auth-api']);
    const text = vscode.window.activeTextEditor?.document.getText() ?? '';
    assert.match(text, /it keeps the newest 128 \(slowlog-max-len\)/);
    assert.match(text, /\| auth-service \(Auth Service\) \| \d+ µs \| `SET auth:token:big x{40}…\(1000 bytes\)` \|/);
    assert.doesNotMatch(text, /whatever-secret/);

    const config = vscode.workspace.getConfiguration('sharedRedis');
    await config.update('readOnly', true, vscode.ConfigurationTarget.Workspace);
    try {
      const refused = await vscode.commands.executeCommand<ResetSlowLogResult>('sharedRedis.resetSlowLog');
      assert.equal(refused.outcome, 'refused');
    } finally {
      await config.update('readOnly', undefined, vscode.ConfigurationTarget.Workspace);
    }
    assert.ok(Number(await operator.call('SLOWLOG', 'LEN')) > 0, 'readOnly reset nothing');
  });

  it('the Checks view finds the slow service and the denied access, and its badge counts them', async () => {
    const outcome = await vscode.commands.executeCommand<RunOutcome>('sharedRedis.checkNamespaces');
    assert.equal(outcome.kind, 'complete', JSON.stringify(outcome));
    const findings = outcome.kind === 'complete' ? outcome.report.findings : [];
    const slow = findings.find((f) => f.check === 'slowLog' && f.label === 'auth-service');
    assert.match(slow?.description ?? '', /^(SET|AUTH) .* took \d+ µs/);
    const denied = findings.find((f) => f.check === 'deniedAccesses' && f.label === 'user-service');
    assert.match(
      denied?.description ?? '',
      /^tried `GET auth:session:42`: no permission for the key \(1×, last \d+ s ago\)$/,
    );
    const checks = (await api()).views.checks;
    assert.equal(checks.view.badge?.value, findings.length);
    const top = checks.getChildren().map((row) => {
      const item = checks.getTreeItem(row);
      return `${String(item.label)} — ${String(item.description)}`;
    });
    assert.ok(
      top.some((r) => /^Slow commands from services — 1 user · \d+ slow commands$/.test(r)),
      JSON.stringify(top),
    );
    assert.ok(
      top.some((r) => /^Denied accesses — 2 users · \d+ refusals$/.test(r)),
      JSON.stringify(top),
    );

    answer = 'Reset Slow Log';
    const reset = await vscode.commands.executeCommand<ResetSlowLogResult>('sharedRedis.resetSlowLog');
    assert.equal(reset.outcome, 'reset');
    assert.match(questions[questions.length - 1] ?? '', /^Reset the slow log of .*\?\nSLOWLOG RESET removes \d+ entr/);
    assert.ok(Number(await operator.call('SLOWLOG', 'LEN')) <= 1, 'only the reset itself may be logged');
  });

  it('without the rights, each feature names the right to grant, once, and changes nothing', async () => {
    // The extension logs in as `operator`: take its CLIENT, SLOWLOG and ACL rights away on this stack only.
    await admin.call('ACL', 'SETUSER', 'operator', '-client', '-slowlog', '-acl');
    try {
      const state = await vscode.commands.executeCommand<ClientsState>('sharedRedis.showClients');
      assert.equal(state.kind, 'failed');
      assert.match(
        (await view()).view.message ?? '',
        /^The Redis user "operator" may not run CLIENT LIST\. Grant it with `ACL SETUSER operator \+client\|list`/,
      );
      // Said once: the view does not try again every 2 s.
      // A timer-driven read already on its way may land too; after it, nothing.
      const refusedOnce = await steady(async () => (await commandStats(admin, 'client|list')).rejected, 1000);
      assert.ok(refusedOnce >= 1);
      await new Promise((resolve) => setTimeout(resolve, 4500));
      assert.equal((await commandStats(admin, 'client|list')).rejected, refusedOnce, 'no retry every 2 s');

      const slow = await vscode.commands.executeCommand<LogResult<SlowLog>>('sharedRedis.showSlowLog');
      assert.equal(slow.outcome, 'failed');
      assert.match(
        slow.outcome === 'failed' ? slow.message : '',
        /may not run SLOWLOG GET\. Grant it with `ACL SETUSER operator \+slowlog`/,
      );
      const denied = await vscode.commands.executeCommand<LogResult<DeniedAccess[]>>('sharedRedis.showDeniedAccesses');
      assert.match(
        denied.outcome === 'failed' ? denied.message : '',
        /may not run ACL LOG\. Grant it with `ACL SETUSER operator \+acl\|log`/,
      );
      answer = 'Kill Client';
      const kill = await vscode.commands.executeCommand<KillClientResult>('sharedRedis.killClient', '1');
      assert.equal(kill.outcome, 'failed');
      assert.match(kill.message ?? '', /may not run CLIENT LIST/);
      assert.equal(await user.ping(), 'PONG');
    } finally {
      await admin.call('ACL', 'SETUSER', 'operator', '+client', '+slowlog', '+acl');
    }
  });
});

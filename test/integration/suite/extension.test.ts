import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { COMMANDS } from '../../../src/commands/table';
import type { SharedRedisApi } from '../../../src/extension';
import { filesUnder } from '../../support/files';
import { suiteConfig } from './config';
import { eventually } from './extensionApi';

const EXTENSION_ID = 'shared-redis-dev.shared-redis';

interface Manifest {
  contributes?: {
    commands?: Array<{ command: string }>;
    views?: Record<string, Array<{ id: string }>>;
  };
}

function extension(): vscode.Extension<unknown> {
  const found = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(found, `extension ${EXTENSION_ID} is not loaded (extensionDevelopmentPath wrong?)`);
  return found;
}

function manifest(): Manifest {
  return extension().packageJSON as Manifest;
}

const waitFor = <T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> => eventually(what, probe, timeoutMs);

/** Sets sharedRedis.port in the workspace settings and waits until the extension host sees it. */
async function setWorkspacePort(port: number | undefined): Promise<void> {
  const config = vscode.workspace.getConfiguration('sharedRedis');
  await config.update('port', port, vscode.ConfigurationTarget.Workspace);
  await waitFor(`sharedRedis.port to read ${port ?? 'its default'}`, () => {
    const inspected = vscode.workspace.getConfiguration('sharedRedis').inspect<number>('port');
    return inspected?.workspaceValue === port ? true : undefined;
  });
}

/** The first line of the "Shared Redis" log that contains `text` (the log file is flushed asynchronously: looks for a while). */
async function logLine(text: string): Promise<string> {
  const { logsDir } = suiteConfig();
  return waitFor(`a "Shared Redis" log file under ${logsDir} that says "${text}"`, () => {
    for (const file of filesUnder(logsDir).filter((path) => path.endsWith('.log') && path.includes('Shared Redis'))) {
      const found = readFileSync(file, 'utf8')
        .split('\n')
        .find((l) => l.includes(text));
      if (found) return found;
    }
    return undefined;
  });
}

// Mocha runs a suite's own tests before its nested suites, so every test sits in a
// nested suite of its own and they run in the order written.
describe('Shared Redis inside VS Code', () => {
  describe('activation', () => {
    it('activates', async () => {
      const ext = extension();
      await ext.activate();
      assert.equal(ext.isActive, true);
    });

    it('logs its activation time to the "Shared Redis" log', async () => {
      const line = await logLine('Activated in');
      assert.match(line, /Activated in \d+(\.\d+)? ms/);
    });

    it('logs how long its second stage (engine, Redis, views) took to load', async () => {
      // The first use loads it (here the API; in a window, a view that shows or a command).
      await ((await extension().activate()) as SharedRedisApi).stackState();
      const line = await logLine('Loaded the second stage');
      assert.match(
        line,
        /Loaded the second stage in \d+(\.\d+)? ms \(modules \d+(\.\d+)? ms, services and views \d+(\.\d+)? ms; code cache (stored|shipped|rejected|none)\)/,
      );
    });

    it('hands other extensions a narrow API, and its internals only under ExtensionMode.Test', async () => {
      const exported = (await extension().activate()) as SharedRedisApi;
      assert.deepEqual(Object.keys(exported).sort(), [
        'apiVersion',
        'onDidChangeStackState',
        'redisEndpoint',
        'stackState',
        'testing',
      ]);
      assert.equal(exported.apiVersion, 1);
      assert.match(
        await exported.stackState(),
        /^(checking|unreachable|absent|invalid|stopped|starting|running|unhealthy|busy)$/,
      );
      const endpoint = await exported.redisEndpoint();
      assert.deepEqual(Object.keys(endpoint).sort(), ['db', 'host', 'port', 'tls', 'username']);
      assert.ok(Number.isInteger(endpoint.port) && endpoint.port > 0, `a port: ${endpoint.port}`);
    });
  });

  describe('commands', () => {
    it('registers exactly the commands package.json contributes', async () => {
      await extension().activate();
      const contributes = manifest().contributes ?? {};
      const declared = (contributes.commands ?? []).map((c) => c.command).sort();
      assert.ok(declared.length > 0, 'package.json contributes no commands');
      // VS Code adds `<viewId>.focus`, `<viewId>.resetViewLocation` ... for every view; those are not ours.
      const viewIds = Object.values(contributes.views ?? {})
        .flat()
        .map((view) => view.id);
      const isViewCommand = (id: string): boolean =>
        viewIds.some((view) => id.startsWith(`${view}.`) && !declared.includes(id));
      const registered = (await vscode.commands.getCommands(true))
        .filter((id) => id.startsWith('sharedRedis.') && !isViewCommand(id))
        .sort();
      const notRegistered = declared.filter((id) => !registered.includes(id));
      const notDeclared = registered.filter((id) => !declared.includes(id));
      assert.deepEqual(
        { notRegistered, notDeclared },
        { notRegistered: [], notDeclared: [] },
        `declared in package.json but not registered: [${notRegistered.join(', ')}]; ` +
          `registered but missing from package.json: [${notDeclared.join(', ')}]`,
      );
    });
  });

  describe('the command table', () => {
    it('maps exactly the commands package.json contributes, each to a handler', () => {
      const declared = (manifest().contributes?.commands ?? []).map((c) => c.command).sort();
      const inTable = Object.keys(COMMANDS).sort();
      const missingFromTable = declared.filter((id) => !inTable.includes(id));
      const notContributed = inTable.filter((id) => !declared.includes(id));
      assert.deepEqual(
        { missingFromTable, notContributed },
        { missingFromTable: [], notContributed: [] },
        `contributed but not in src/commands/table.ts: [${missingFromTable.join(', ')}]; in the table but not contributed: [${notContributed.join(', ')}]`,
      );
    });
  });

  describe('sharedRedis.ping', () => {
    it('answers PONG from the real redis-server in the settings', async () => {
      const { redisPort } = suiteConfig();
      assert.equal(
        vscode.workspace.getConfiguration('sharedRedis').get<number>('port'),
        redisPort,
        'the workspace settings do not point at the test redis-server',
      );
      const text = await vscode.commands.executeCommand<string>('sharedRedis.ping');
      assert.match(text, /^PONG in \d+(\.\d)? ms · Redis 7\./);
    });
  });

  describe('sharedRedis.ping with sharedRedis.port pointing at a closed port', () => {
    let original: number | undefined;

    before(async () => {
      original = vscode.workspace.getConfiguration('sharedRedis').inspect<number>('port')?.workspaceValue;
      await setWorkspacePort(suiteConfig().closedPort);
    });

    after(async () => {
      await setWorkspacePort(original);
    });

    it('names 127.0.0.1:PORT and says it is unreachable', async () => {
      const { closedPort } = suiteConfig();
      const text = await vscode.commands.executeCommand<string>('sharedRedis.ping');
      assert.match(text, /^Ping failed: /);
      assert.ok(text.includes(`127.0.0.1:${closedPort}`), `the failure does not name 127.0.0.1:${closedPort}: ${text}`);
      assert.match(text, /unreachable/);
    });
  });

  describe('sharedRedis.ping after the setting is restored', () => {
    it('answers PONG again', async () => {
      assert.equal(vscode.workspace.getConfiguration('sharedRedis').get<number>('port'), suiteConfig().redisPort);
      const text = await vscode.commands.executeCommand<string>('sharedRedis.ping');
      assert.match(text, /^PONG in /);
    });
  });
});

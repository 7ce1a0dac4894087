import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import Redis from 'ioredis';
import * as vscode from 'vscode';
import type { OpenCliResult } from '../../../src/commands/server/openCli';
import type { NamespaceStatsRow } from '../../../src/redis/serverInfo';
import { connectEngine } from '../../../src/docker/engine';
import { ContainerRedisCliPty, LocalRedisCliPty } from '../../../src/views/cliTerminal';
import type { InfoPanelState } from '../../../src/views/infoPanel';
import { eventually as waitUntil } from '../../support/eventually';
import { freePort, RedisServer, startRedisServer } from '../../support/redisServer';
import { OFFLINE_REDIS_IMAGE } from '../../support/stackFixture';
import { api } from './extensionApi';
import { recordingLogger } from './recordingLogger';
import { readInfoContent } from '../../../src/commands/server/info';
import type { ExtensionServices } from '../../../src/commands/context';
import { suiteConfig } from './config';

/** Every process's command line, as the kernel shows it to anyone (`ps`). */
function commandLines(): Array<{ pid: number; cmdline: string }> {
  const lines: Array<{ pid: number; cmdline: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      lines.push({ pid: Number(entry), cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ') });
    } catch {
      // the process ended meanwhile
    }
  }
  return lines;
}

/** The open tabs, for a failure to say what the window showed. */
function openTabs(): string {
  const tabs = vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .map((tab) => `${tab.label} (${tab.input?.constructor.name ?? 'no input'})`);
  return `tabs: ${tabs.join(', ') || 'none'}`;
}

const eventually = (what: string, check: () => boolean, timeoutMs = 10_000): Promise<boolean> =>
  waitUntil(what, check, { timeoutMs, detail: openTabs });

/**
 * Runs Namespace Statistics from the palette through its real namespace list (VS Code's quick
 * pick, driven through its API): types `filter` into it and accepts "Type a namespace path…"
 * as Enter does. The input box is stubbed to record the options it opened with and answer
 * srvstats. Resolves to the items the list offered, those options and the command's rows.
 */
async function namespaceStatsThroughList(filter: string): Promise<{
  offered: vscode.QuickPickItem[];
  inputs: vscode.InputBoxOptions[];
  rows: NamespaceStatsRow[] | undefined;
  /** What happened, for a failure's message: the picks shown, what each accepted. */
  story: string;
}> {
  const window = vscode.window as unknown as Record<string, unknown>;
  const original = {
    create: window['createQuickPick'] as () => vscode.QuickPick<vscode.QuickPickItem>,
    input: window['showInputBox'],
  };
  const created: vscode.QuickPick<vscode.QuickPickItem>[] = [];
  const offered: vscode.QuickPickItem[] = [];
  const inputs: vscode.InputBoxOptions[] = [];
  const story: string[] = [];
  // The previous test's statistics panel, a webview still loading, takes the focus when it is
  // ready, and a quick pick closes when it loses it (the project's CI at stop 42: "pick 1
  // created; answered nothing", no accept sent): closed first.
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  const shared = await api();
  const keysState = (): string => shared.keys.state.kind;
  story.push(`Keys view ${keysState()} at the start`);
  try {
    window['createQuickPick'] = () => {
      const pick = original.create.call(vscode.window);
      created.push(pick);
      story.push(`Keys view ${keysState()}; pick ${created.length} created`);
      pick.onDidChangeSelection((items) => story.push(`selected ${items.map((item) => item.label).join(', ')}`));
      pick.onDidHide(() => story.push(`pick ${created.indexOf(pick) + 1} hidden`));
      return pick;
    };
    window['showInputBox'] = (options: vscode.InputBoxOptions) => {
      inputs.push(options);
      story.push(`input box ${inputs.length} opened`);
      return Promise.resolve('srvstats');
    };
    const running = vscode.commands.executeCommand<NamespaceStatsRow[] | undefined>('sharedRedis.namespaceStats');
    const answered = running.then(() => true);
    // Accepted until the command answers: an accept sent before the pick shows (a loaded machine) does nothing.
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (await Promise.race([answered, Promise.resolve(false)])) break;
      const pick = created[0];
      const typeItem = pick?.items.find((item) => item.label.startsWith('Type a namespace path'));
      if (!pick || !typeItem) continue;
      if (offered.length === 0) offered.push(...pick.items);
      pick.value = filter;
      await new Promise((resolve) => setTimeout(resolve, 300));
      pick.activeItems = [typeItem];
      await new Promise((resolve) => setTimeout(resolve, 300));
      story.push(`accept sent (${pick.items.length} items)`);
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    }
    const rows = await running;
    story.push(`answered ${rows === undefined ? 'nothing' : `${rows.length} rows`}`);
    return { offered, inputs, rows, story: story.join('; ') };
  } finally {
    window['createQuickPick'] = original.create;
    window['showInputBox'] = original.input;
  }
}

describe('server commands: INFO view, namespace statistics, redis-cli terminal', function () {
  this.timeout(60_000);
  let redis: Redis;
  const seeded: string[] = [];

  before(async () => {
    redis = new Redis({ host: '127.0.0.1', port: suiteConfig().redisPort, lazyConnect: true });
    await redis.connect();
    const pipeline = redis.pipeline();
    for (let i = 0; i < 20; i++) {
      seeded.push(`srvstats:a:${i}`);
      pipeline.set(`srvstats:a:${i}`, 'x'.repeat(50), 'EX', 3600);
    }
    for (let i = 0; i < 10; i++) {
      seeded.push(`srvstats:b:${i}`);
      pipeline.hset(`srvstats:b:${i}`, 'f', 'v');
    }
    seeded.push('srvstatsx:neighbour');
    pipeline.set('srvstatsx:neighbour', 'shares the letters, not the namespace');
    await pipeline.exec();
    assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
  });

  after(async () => {
    await redis.unlink(...seeded);
    redis.disconnect();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('sharedRedis.info opens a webview with the summary, a nonce CSP and only local resources', async () => {
    const state = await vscode.commands.executeCommand<InfoPanelState>('sharedRedis.info');
    assert.equal(state.error, undefined);
    assert.equal(state.title, `Redis INFO · 127.0.0.1:${suiteConfig().redisPort}`);
    const content = state.content;
    assert.ok(content);
    assert.match(content.summary.server.version ?? '', /^\d+\.\d+\.\d+$/);
    assert.ok((content.summary.keyspace.find((db) => db.db === 0)?.keys ?? 0) >= 31);
    assert.deepEqual(
      content.sections.map((s) => s.title),
      ['Server', 'Clients', 'Memory', 'Persistence', 'Stats', 'Keyspace'],
    );
    const row = content.namespaces.find((r) => r.namespace === 'srvstats');
    assert.ok(row, `no srvstats row in ${JSON.stringify(content.namespaces)}`);
    assert.equal(row.keys, '30 keys');
    assert.equal(row.withTtl, '66.7%');
    assert.equal(row.sample, '30 of 30 keys sampled');

    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(state.html)?.[1];
    assert.ok(csp, 'no CSP meta');
    assert.match(csp, /default-src 'none'/);
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    assert.ok(nonce && nonce.length >= 16, `no nonce in ${csp}`);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const scripts = [...state.html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1] ?? '');
    assert.equal(scripts.length, 2, 'info.js and charts.js');
    assert.ok(scripts.every((attributes) => attributes.includes(`nonce="${nonce}"`)));
    for (const [, url] of state.html.matchAll(/(?:src|href)="([^"]+)"/g)) {
      assert.match(url ?? '', /\/media\/info\/(info\.css|info\.js|charts\.js)$/);
    }
    assert.match(state.html, /<button id="refresh"/);
    assert.match(state.html, /<summary>Raw INFO<\/summary>\s*<pre># Server/);

    const infoTabs = (): vscode.Tab[] =>
      vscode.window.tabGroups.all
        .flatMap((group) => group.tabs)
        .filter((tab) => tab.input instanceof vscode.TabInputWebview && tab.label === state.title);
    await eventually(`a webview tab "${state.title}"`, () => infoTabs().length === 1);

    // Asking again reveals the same view with a fresh reading.
    const again = await vscode.commands.executeCommand<InfoPanelState>('sharedRedis.info');
    assert.notEqual(again.html, state.html);
    assert.equal(infoTabs().length, 1);
  });

  it('sharedRedis.info shows INFO and the namespace table without memory figures when MEMORY USAGE is refused', async () => {
    // A user that may run INFO but not MEMORY (or a Redis-compatible server without it).
    await redis.call('ACL', 'SETUSER', 'default', '-memory');
    try {
      const state = await vscode.commands.executeCommand<InfoPanelState>('sharedRedis.info');
      assert.equal(state.error, undefined);
      const content = state.content;
      assert.ok(content);
      assert.ok(content.namespaces.length > 0, content.namespacesNote);
      for (const row of content.namespaces) {
        assert.equal(row.memory, '–', `${row.namespace}: ${row.memory}`);
        assert.match(row.keys, /^[\d,]+ keys?$/);
        assert.match(row.withTtl, /%$/);
      }
      assert.match(content.namespacesNote, /MEMORY USAGE was refused \(NOPERM/);
    } finally {
      await redis.call('ACL', 'SETUSER', 'default', '+memory');
    }
  });

  it('sharedRedis.namespaceStats says the server refused SCAN, not that it is unreachable', async () => {
    const window = vscode.window as unknown as Record<string, unknown>;
    const original = window['showErrorMessage'];
    const shown: string[] = [];
    window['showErrorMessage'] = (message: string) => {
      shown.push(message);
      return Promise.resolve(undefined);
    };
    await redis.call('ACL', 'SETUSER', 'default', '-scan');
    try {
      const rows = await vscode.commands.executeCommand<NamespaceStatsRow[] | undefined>(
        'sharedRedis.namespaceStats',
        'srvstats',
      );
      assert.equal(rows, undefined);
    } finally {
      await redis.call('ACL', 'SETUSER', 'default', '+scan');
      window['showErrorMessage'] = original;
    }
    assert.equal(shown.length, 1, shown.join('\n'));
    assert.match(shown[0] ?? '', /^Namespace statistics failed: .*refused SCAN: NOPERM/);
    assert.doesNotMatch(shown[0] ?? '', /unreachable|Start the shared Redis stack/);
  });

  it('the INFO view logs a bug in its namespace sampler with its stack and does not show its message as the note', async () => {
    // The one injected fault: a TypeError inside the sampler cannot be produced for real, so the
    // session handed to readInfoContent (its seam: the services it reads through) gives the
    // sampler a client without DBSIZE, whose call then throws a real TypeError. INFO itself
    // and the keyspace walk are the real server's.
    const shared = await api();
    assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
    const session = shared.session;
    const broken = new Proxy(session, {
      get(target, property) {
        if (property !== 'use') return Reflect.get(target, property, target) as unknown;
        return <T>(action: (client: Redis) => Promise<T>): Promise<T> =>
          session.use((client) =>
            action(
              new Proxy(client, {
                get: (c, name) => (name === 'dbsize' ? undefined : (Reflect.get(c, name, c) as unknown)),
              }),
            ),
          );
      },
    });
    const lines: string[] = [];
    const content = await readInfoContent({
      ...shared,
      session: broken,
      keyBrowser: shared.keys,
      logger: recordingLogger(lines),
    } as unknown as ExtensionServices);
    assert.match(content.raw, /^# Server/);
    assert.doesNotMatch(content.namespacesNote, /is not a function|TypeError/, content.namespacesNote);
    assert.match(content.namespacesNote, /internal error/i);
    assert.match(content.namespacesNote, /Shared Redis.*output|log/i);
    const logged = lines.find((line) => line.includes('TypeError'));
    assert.ok(logged, `no TypeError logged in ${JSON.stringify(lines)}`);
    assert.match(logged, /\n\s+at /, 'the logged error has no stack');
  });

  it('sharedRedis.namespaceStats gives the table for a namespace and its children', async () => {
    const rows = await vscode.commands.executeCommand<NamespaceStatsRow[] | undefined>(
      'sharedRedis.namespaceStats',
      'srvstats',
    );
    assert.ok(rows);
    assert.deepEqual(
      rows.map((r) => [r.namespace, r.keys, r.withTtl, r.sample]),
      [
        ['srvstats', '30 keys', '66.7%', '30 of 30 keys sampled'],
        ['srvstats:a', '20 keys', '100%', '20 of 20 keys sampled'],
        ['srvstats:b', '10 keys', '0%', '10 of 10 keys sampled'],
      ],
    );
    for (const r of rows) assert.match(r.memory, /^\d+(\.\d)? (B|KiB)$/);
    assert.match(rows[0]?.share ?? '', /%$/);
  });

  describe('with more namespaces than a table or a list shows', () => {
    const wide: string[] = [];
    before(async () => {
      // 60 child namespaces under srvwide (more than the table samples), and 1,100 id-like
      // ones under srvids, each with more keys than srvstats, so that srvstats comes after
      // them in a list by count.
      const pipeline = redis.pipeline();
      for (let i = 0; i < 60; i++) wide.push(`srvwide:c${i}:k`);
      for (let i = 0; i < 1100; i++) wide.push(`srvids:${i}:a`, `srvids:${i}:b`, `srvids:${i}:c`, `srvids:${i}:d`);
      for (const key of wide) pipeline.set(key, '1');
      await pipeline.exec();
      assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
    });
    after(async () => {
      for (let i = 0; i < wide.length; i += 1000) await redis.unlink(...wide.slice(i, i + 1000));
      await vscode.commands.executeCommand('sharedRedis.refreshKeys');
    });

    it('sharedRedis.namespaceStats says how many child namespaces and keys it did not sample', async () => {
      const rows = await vscode.commands.executeCommand<NamespaceStatsRow[] | undefined>(
        'sharedRedis.namespaceStats',
        'srvwide',
      );
      assert.ok(rows);
      assert.equal(rows[0]?.namespace, 'srvwide');
      const sampled = rows.slice(1, -1);
      assert.ok(sampled.length >= 1 && sampled.length < 60, `${sampled.length} child rows`);
      for (const row of sampled) assert.match(row.namespace, /^srvwide:c\d+$/);
      const last = rows.at(-1);
      const notSampled = 60 - sampled.length;
      assert.equal(last?.namespace, `${notSampled} more namespaces not sampled`);
      assert.equal(last?.keys, `${notSampled} keys`);
      assert.match(last?.sample ?? '', /Namespace Statistics on one of them/);
    });

    it('the namespace list offers every top-level namespace, says how many it does not list, and takes a typed path', async () => {
      const { offered, inputs, rows, story } = await namespaceStatsThroughList('');
      assert.equal(inputs.length, 1, `the input box opened ${inputs.length} times (${story})`);
      assert.deepEqual(
        rows?.map((r) => r.namespace),
        ['srvstats', 'srvstats:a', 'srvstats:b'],
        story,
      );
      const labels = offered.map((item) => item.label);
      for (const name of ['srvstats', 'srvwide', 'srvids', 'srvstatsx']) {
        assert.ok(labels.includes(name), `${name} is not offered among ${labels.length} items (${story})`);
      }
      const more = offered.find((item) => /^\d[\d,]* more namespaces not listed/.test(item.label));
      assert.ok(more, `no item says how many namespaces are not listed (${story})`);
      assert.match(more.detail ?? more.description ?? '', /type/i);
    });

    it('the typed path input box opens with what was typed into the namespace list', async () => {
      const { inputs, rows } = await namespaceStatsThroughList('srvstat');
      assert.equal(inputs.length, 1, `the input box opened ${inputs.length} times`);
      assert.equal(inputs[0]?.value, 'srvstat', 'the input box did not open with the text typed into the list');
      assert.deepEqual(
        rows?.map((r) => r.namespace),
        ['srvstats', 'srvstats:a', 'srvstats:b'],
      );
    });
  });

  it('sharedRedis.namespaceStats works on a Keys view namespace row, as its context menu passes it', async () => {
    const shared = await api();
    assert.ok(shared);
    const provider = shared.views.keys;
    const row = (await provider.getChildren(undefined)).find((r) => provider.getTreeItem(r).label === 'srvstats');
    assert.ok(row, 'no srvstats row');
    assert.match(String(provider.getTreeItem(row).contextValue), /^namespace/);
    const rows = await vscode.commands.executeCommand<NamespaceStatsRow[] | undefined>(
      'sharedRedis.namespaceStats',
      row,
    );
    assert.deepEqual(
      rows?.map((r) => [r.namespace, r.keys]),
      [
        ['srvstats', '30 keys'],
        ['srvstats:a', '20 keys'],
        ['srvstats:b', '10 keys'],
      ],
    );
  });

  it('sharedRedis.info says which endpoint failed when Redis does not answer', async () => {
    const config = vscode.workspace.getConfiguration('sharedRedis');
    const saved = config.inspect<number>('port')?.workspaceValue;
    await config.update('port', await freePort(), vscode.ConfigurationTarget.Workspace);
    try {
      const state = await vscode.commands.executeCommand<InfoPanelState>('sharedRedis.info');
      assert.match(state.error ?? '', /127\.0\.0\.1:\d+ is unreachable/);
      assert.match(state.html, /class="error" role="alert"/);
      assert.match(state.html, /<button id="refresh"/);
    } finally {
      await config.update('port', saved, vscode.ConfigurationTarget.Workspace);
    }
    const state = await vscode.commands.executeCommand<InfoPanelState>('sharedRedis.info');
    assert.equal(state.error, undefined);
  });

  it('sharedRedis.openCli opens a redis-cli terminal that answers PING with PONG', async () => {
    const result = await vscode.commands.executeCommand<OpenCliResult>('sharedRedis.openCli', { mode: 'local' });
    assert.equal(result.mode, 'local');
    const { pty, terminal } = result;
    assert.ok(pty && terminal);
    await pty.waitForOutput(/> $/);
    terminal.sendText('PING');
    await pty.waitForOutput(/PONG/);
    pty.handleInput?.('GET srvstats:a:1\r');
    await pty.waitForOutput(/"x{50}"/);
    terminal.dispose();
    await pty.exited;
  });

  it('sharedRedis.openCli hands back no object that holds the password (another extension may call it)', async () => {
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const server: RedisServer = await startRedisServer({ password });
    const config = vscode.workspace.getConfiguration('sharedRedis');
    const saved = config.inspect<number>('port')?.workspaceValue;
    const endpoint = { host: '127.0.0.1', port: server.port, db: 0, tls: false };
    const shared = await api();
    await shared.secrets.store(endpoint, { username: undefined, password });
    let result: OpenCliResult | undefined;
    try {
      await config.update('port', server.port, vscode.ConfigurationTarget.Workspace);
      result = await vscode.commands.executeCommand<OpenCliResult>('sharedRedis.openCli', { mode: 'local' });
      const { pty, terminal } = result;
      assert.ok(pty && terminal);
      await pty.waitForOutput(/> $/);
      pty.handleInput?.('PING\r');
      await pty.waitForOutput(/PONG/); // it logged in
      // Every value reachable from what the command returned, own fields and private ones alike.
      const found: string[] = [];
      const seen = new Set<unknown>();
      const visit = (value: unknown, path: string, depth: number): void => {
        if (typeof value === 'string') {
          if (value.includes(password)) found.push(path);
          return;
        }
        if (value === null || typeof value !== 'object' || seen.has(value) || depth > 4) return;
        seen.add(value);
        if (value === terminal) return; // VS Code's own object, not ours
        for (const name of Object.getOwnPropertyNames(value)) {
          let child: unknown;
          try {
            child = (value as Record<string, unknown>)[name];
          } catch {
            continue;
          }
          visit(child, `${path}.${name}`, depth + 1);
        }
      };
      visit(result, 'result', 0);
      assert.deepEqual(found, [], 'the password is readable from the returned object');
      // Nor can a caller point the terminal at a program of its own and open it again.
      const dir = mkdtempSync(join(tmpdir(), 'shared-redis-cli-'));
      const spy = join(dir, 'spy.sh');
      writeFileSync(spy, '#!/bin/sh\necho "spied:$REDISCLI_AUTH"\n', { mode: 0o700 });
      try {
        const target = pty as unknown as Record<string, unknown>;
        target['executable'] = spy;
        target['endpoint'] = { host: '127.0.0.1', port: 1, db: 0, tls: false };
        pty.open(undefined);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        assert.doesNotMatch(pty.output, new RegExp(password), 'a second open ran another program with the password');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } finally {
      result?.terminal?.dispose();
      await result?.pty?.exited;
      await config.update('port', saved, vscode.ConfigurationTarget.Workspace);
      await shared.secrets.forget(endpoint);
      await server.stop();
    }
  });

  it('gives redis-cli the password through REDISCLI_AUTH, never on a command line', async () => {
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const server: RedisServer = await startRedisServer({ password });
    try {
      const pty = new LocalRedisCliPty({ host: server.host, port: server.port, db: 0, tls: false }, password);
      const terminal = vscode.window.createTerminal({ name: 'redis-cli test', pty });
      try {
        await pty.waitForOutput(/> $/);
        pty.handleInput('PING\r');
        await pty.waitForOutput(/PONG/); // authenticated, or it would say NOAUTH
        assert.doesNotMatch(pty.output, /NOAUTH|WRONGPASS/);
        const pid = pty.pid;
        assert.ok(pid);
        const lines = commandLines();
        const cli = lines.find((p) => p.pid === pid);
        assert.ok(cli, 'redis-cli is not running');
        assert.match(cli.cmdline, new RegExp(`redis-cli .*-p ${server.port}`));
        const leaking = lines.filter((p) => p.cmdline.includes(password));
        assert.deepEqual(leaking, [], 'a command line contains the password');
        assert.ok(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`REDISCLI_AUTH=${password}`));
      } finally {
        terminal.dispose();
        await pty.exited;
      }
    } finally {
      await server.stop();
    }
  });

  it("runs redis-cli inside a container through the engine, the password in the exec's Env only", async function () {
    let docker: Docker;
    try {
      docker = (await connectEngine(undefined)).docker;
      await docker.getImage(OFFLINE_REDIS_IMAGE).inspect();
    } catch {
      this.skip(); // no engine or no image here: the stack suite reports that
      return;
    }
    const password = `pw-${randomBytes(12).toString('hex')}`;
    // The server checks the password's SHA-256 from an ACL file, as the stack does: it is on no command line.
    const dir = mkdtempSync(join(tmpdir(), 'shared-redis-cli-'));
    writeFileSync(
      join(dir, 'users.acl'),
      `user default on #${createHash('sha256').update(password).digest('hex')} ~* &* +@all\n`,
    );
    const container = await docker.createContainer({
      Image: OFFLINE_REDIS_IMAGE,
      Cmd: ['redis-server', '--aclfile', '/etc/redis/users.acl'],
      Labels: { 'shared-redis.test': 'server.test' },
      HostConfig: { Binds: [`${join(dir, 'users.acl')}:/etc/redis/users.acl:ro`] },
    });
    try {
      await container.start();
      const name = (await container.inspect()).Name.replace(/^\//, '');
      const pty = new ContainerRedisCliPty(
        docker,
        container.id,
        { host: '127.0.0.1', port: 6379, db: 0, tls: false },
        password,
        name,
      );
      const terminal = vscode.window.createTerminal({ name: 'redis-cli container test', pty });
      try {
        await pty.waitForOutput(/6379> /, 20_000);
        pty.handleInput('PING\r');
        await pty.waitForOutput(/PONG/);
        assert.doesNotMatch(pty.output, /NOAUTH|WRONGPASS/);
        assert.deepEqual(
          commandLines().filter((p) => p.cmdline.includes(password)),
          [],
          'a command line contains the password',
        );
        const execs = (await container.inspect()).ExecIDs ?? [];
        assert.ok(execs.length > 0);
        for (const id of execs) {
          const exec = await docker.getExec(id).inspect();
          assert.doesNotMatch(JSON.stringify(exec.ProcessConfig), new RegExp(password));
        }
      } finally {
        terminal.dispose();
        await pty.exited;
      }
    } finally {
      await container.remove({ force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

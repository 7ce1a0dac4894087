import * as assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import * as vscode from 'vscode';
import {
  CountingProxy,
  makeCertificates,
  sleep,
  startCountingProxy,
  startRedis,
  TestCertificates,
  TestRedis,
} from '../../unit/redis/tls/fixtures';
import { api, eventually, steady } from './extensionApi';

const KEYS = [
  'host',
  'port',
  'tls',
  'tlsCaFile',
  'tlsCertFile',
  'tlsKeyFile',
  'tlsServerName',
  'tlsVerifyCertificate',
] as const;

/** Sets workspace settings for one test and puts the previous workspace values back afterwards. */
async function withSettings(
  values: Partial<Record<(typeof KEYS)[number], unknown>>,
  body: () => Promise<void>,
): Promise<void> {
  const config = vscode.workspace.getConfiguration('sharedRedis');
  const saved = new Map(KEYS.map((key) => [key, config.inspect(key)?.workspaceValue]));
  try {
    for (const key of KEYS) {
      if (key in values) await config.update(key, values[key], vscode.ConfigurationTarget.Workspace);
    }
    await body();
  } finally {
    for (const [key, value] of saved) await config.update(key, value, vscode.ConfigurationTarget.Workspace);
  }
}

function nonLoopbackAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const address of list ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  throw new Error('this machine has no non-loopback IPv4 address to test with');
}

describe('connection hardening: TLS settings, the status bar flag, the Stack view warning', function () {
  this.timeout(90_000);
  let certs: TestCertificates;
  let tlsRedis: TestRedis;
  let expiredRedis: TestRedis;
  let exposed: TestRedis;
  let proxy: CountingProxy | undefined;

  before(async () => {
    certs = makeCertificates();
    [tlsRedis, expiredRedis, exposed] = await Promise.all([
      startRedis({ tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.caCert, authClients: 'optional' } }),
      startRedis({
        tls: { cert: certs.expiredCert, key: certs.expiredKey, ca: certs.caCert, authClients: 'optional' },
      }),
      startRedis({ host: nonLoopbackAddress(), extraArgs: ['--protected-mode', 'no'] }),
    ]);
    await api();
  });
  after(async () => {
    await proxy?.close();
    await Promise.all([tlsRedis, expiredRedis, exposed].map((s) => s?.stop()));
    certs?.remove();
  });

  it('pings a TLS Redis with the CA file from the settings', async () => {
    await withSettings(
      { host: '127.0.0.1', port: tlsRedis.port, tls: true, tlsCaFile: certs.caCert, tlsServerName: 'redis.test' },
      async () => {
        const text = await vscode.commands.executeCommand<string>('sharedRedis.ping');
        assert.match(text, /^PONG in [\d.]+ ms · Redis 7\./);
      },
    );
  });

  it('an expired server certificate: the ping says so once, with one connection attempt', async () => {
    proxy = await startCountingProxy(expiredRedis);
    await withSettings({ host: '127.0.0.1', port: proxy.port, tls: true, tlsCaFile: certs.caCert }, async () => {
      // A visible Keys view reacts to each of the four settings written above with a refresh
      // of its own (one attempt each at most, never a reconnect loop): count from when that settled,
      // no new attempt for 1.5 s (a loaded CI ran the view's refreshes seconds late). While the
      // port is set and TLS not yet on, the plain attempt's hang-up is followed by one TLS hello
      // to see what the port speaks (connection.ts, speaksTls): one more, at most.
      await sleep(2500);
      const before = await steady(() => proxy?.connections ?? 0, 1500);
      assert.ok(before <= 5, `${before} attempts after four settings changes`);
      const text = await vscode.commands.executeCommand<string>('sharedRedis.ping');
      assert.equal(
        text,
        `Ping failed: Redis at 127.0.0.1:${proxy?.port ?? 0} (TLS) presented a TLS certificate that has expired. ` +
          "Renew the server's certificate (redis.conf tls-cert-file) and restart Redis; certificate checking stays on.",
      );
      await sleep(2500);
      assert.equal(proxy?.connections, before + 1, 'one attempt for the ping');
      // Refresh Keys: the Keys view shows the same reason, after one more attempt only.
      const shared = await api();
      assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'failed');
      const [first] = await shared.views.keys.getChildren();
      assert.ok(first, 'the Keys view shows the failure');
      assert.equal(
        shared.views.keys.getTreeItem(first).label,
        `127.0.0.1:${proxy?.port ?? 0} (TLS) presented a TLS certificate that has expired`,
      );
      const fixes = (await shared.views.keys.getChildren()).slice(1).map((row) => shared.views.keys.getTreeItem(row));
      assert.deepEqual(
        fixes.map((item) => item.label),
        ['Ping Redis', 'TLS Settings', 'Retry'],
      );
      assert.deepEqual(fixes[1]?.command?.arguments, ['sharedRedis.tls'], 'opens the TLS settings, not all of them');
      await sleep(2500);
      assert.equal(proxy?.connections, before + 2, 'one more for Refresh Keys');
    });
    // Back on the launcher's Redis, the Keys view recovers.
    assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
  });

  it('a CA file that does not exist is named in the message', async () => {
    await withSettings(
      { host: '127.0.0.1', port: tlsRedis.port, tls: true, tlsCaFile: '${workspaceFolder}/no-such-ca.pem' },
      async () => {
        const text = await vscode.commands.executeCommand<string>('sharedRedis.ping');
        const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
        assert.equal(
          text,
          `Ping failed: Redis at 127.0.0.1:${tlsRedis.port} (TLS) cannot use the CA certificate: ${folder}/no-such-ca.pem does not exist. ` +
            'Check sharedRedis.tlsCaFile: it must be the path of a PEM file this editor can read.',
        );
      },
    );
  });

  it('certificate checking turned off is flagged in the status bar, and only then', async () => {
    const shared = await api();
    assert.equal(shared.statusBar.shown.tlsUnchecked, false);
    assert.doesNotMatch(shared.statusBar.shown.text, /\$\(unlock\)/);
    await withSettings(
      { host: '127.0.0.1', port: expiredRedis.port, tls: true, tlsVerifyCertificate: false },
      async () => {
        await eventually('the status bar flag', () => shared.statusBar.shown.tlsUnchecked);
        const shown = shared.statusBar.shown;
        assert.match(shown.text, / \$\(unlock\)$/);
        assert.equal(shown.background, 'statusBarItem.warningBackground');
        assert.match(shown.tooltip, /TLS certificate checking is off/);
        assert.match(
          shown.tooltip,
          /command:workbench\.action\.openSettings\?%5B%22sharedRedis\.tlsVerifyCertificate%22%5D/,
        );
        // The explicit opt-out does what it says: the expired certificate is accepted.
        assert.match(await vscode.commands.executeCommand<string>('sharedRedis.ping'), /^PONG/);
      },
    );
    await eventually('the flag to go', () => !shared.statusBar.shown.tlsUnchecked);
    assert.doesNotMatch(shared.statusBar.shown.text, /\$\(unlock\)/);
  });

  it('a Redis on a non-loopback address without a password gets a warning row at the top of the Stack view', async () => {
    const shared = await api();
    const view = shared.views.stack;
    await withSettings({ host: exposed.host, port: exposed.port, tls: false }, async () => {
      await eventually('the probe to find the open Redis', () => view.passwordlessAccess?.kind === 'open');
      const [first] = view.getChildren();
      assert.ok(first, 'the Stack view has rows');
      const item = view.getTreeItem(first);
      assert.equal(item.label, `Redis at ${exposed.host}:${exposed.port} accepts commands without a password`);
      assert.equal((item.iconPath as vscode.ThemeIcon).id, 'warning');
      assert.equal(
        ((item.iconPath as vscode.ThemeIcon).color as vscode.ThemeColor).id,
        'problemsWarningIcon.foreground',
      );
      assert.match((item.tooltip as vscode.MarkdownString).value, /requirepass/);
      assert.match((item.tooltip as vscode.MarkdownString).value, /bind Redis to 127\.0\.0\.1/);
    });
    await eventually(
      'the warning to go with the loopback endpoint',
      () => view.passwordlessAccess?.kind === 'loopback',
    );
    assert.ok(view.getChildren().every((row) => view.getTreeItem(row).id !== 'exposure'));
  });
});

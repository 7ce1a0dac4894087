import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { connectRedis } from '../../../src/redis/connection';
import { parseInfo } from '../../../src/redis/info';
import type { ChartPoint } from '../../../src/redis/observe/infoSeries';
import type { InfoChartsState, InfoPanelState } from '../../../src/views/infoPanel';
import { useRedisServer } from '../../support/useRedisServer';
import { api, eventually } from './extensionApi';

const ACL = [
  'user default on nopass ~* &* +@all',
  'user auth-service on >auth-pw ~auth:* &auth:* +@all',
  'user user-service on >user-pw ~user:* &user:* +@all',
].join('\n');

/** More than two sampling intervals: long enough for a sample that should not happen to happen. */
const QUIET_MS = 5_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('Server Info page: live charts', function () {
  this.timeout(90_000);
  const server = useRedisServer({ acl: ACL });
  const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('sharedRedis');
  let savedPort: number | undefined;
  let admin: Redis;

  const open = async (username?: string, password?: string): Promise<Redis> =>
    server.keep(
      await connectRedis({ host: server.host, port: server.port, db: 0, tls: false, username }, { password }),
    );
  /** What the page's charts hold now (the points the panel posted to the page). */
  const charts = async (): Promise<InfoChartsState | undefined> => (await api()).infoCharts();
  const held = async (): Promise<InfoChartsState> => {
    const state = await charts();
    assert.ok(state, 'the Server Info page is open');
    return state;
  };
  const samples = (state: InfoChartsState): ChartPoint[] => state.points.filter((p) => p.gap === undefined);
  /** INFO calls the test's server counted (our own INFO commandstats included). */
  const infoCalls = async (): Promise<number> => {
    const line = parseInfo(await admin.info('commandstats')).get('commandstats')?.['cmdstat_info'] ?? '';
    return Number(/calls=(\d+)/.exec(line)?.[1] ?? 0);
  };
  const infoTab = (): vscode.Tab | undefined =>
    vscode.window.tabGroups.all
      .flatMap((group) => group.tabs)
      .find((tab) => tab.input instanceof vscode.TabInputWebview && tab.label.startsWith('Redis INFO'));

  before(async () => {
    savedPort = config().inspect<number>('port')?.workspaceValue;
    await config().update('port', server.port, vscode.ConfigurationTarget.Workspace);
    admin = await open();
    // The Keys view walks the new server once; let it finish so that only the charts talk to it.
    await (await api()).keys.walkEnded(10_000);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await config().update('port', savedPort, vscode.ConfigurationTarget.Workspace);
  });

  it('samples while the page is visible and shows the ops/s a second client causes', async () => {
    const state = await vscode.commands.executeCommand<InfoPanelState>('sharedRedis.info');
    assert.equal(state.title, `Redis INFO · 127.0.0.1:${server.port}`);
    const quiet = await eventually('two samples', async () => {
      const now = await held();
      return samples(now).length >= 3 && now;
    });
    assert.equal(quiet.sampling, true);
    const idle = Math.max(...samples(quiet).map((p) => p.opsPerSec ?? 0));
    assert.ok(idle < 50, `an idle server is quiet: ${idle} ops/s`);
    assert.equal(samples(quiet)[0]?.maxMemory, 0, 'no maxmemory: the chart says "no limit"');
    const seenBefore = quiet.points.length;

    // Load from a second client until the page's data shows it.
    const load = await open();
    let loading = true;
    const generator = (async () => {
      while (loading) {
        const pipeline = load.pipeline();
        for (let i = 0; i < 200; i++) pipeline.incr('charts:load');
        await pipeline.exec();
      }
    })();
    try {
      const busy = await eventually('a sample with the load in it', async () =>
        (await held()).points.slice(seenBefore).find((p) => (p.opsPerSec ?? 0) > 1_000),
      );
      assert.ok((busy.opsPerSec ?? 0) > idle * 10, `ops/s rose from ${idle} to ${busy.opsPerSec}`);
    } finally {
      loading = false;
      await generator;
      await load.unlink('charts:load');
    }
    const now = await held();
    assert.ok(now.posted.points >= samples(now).length - 1, 'each sample was posted to the page as it came');
  });

  it('counts connected clients per service', async () => {
    await open('auth-service', 'auth-pw');
    await open('auth-service', 'auth-pw');
    await open('user-service', 'user-pw');
    const point = await eventually('a sample with both services', async () =>
      (await held()).points.find((p) => p.clients?.['Auth Service'] === 2 && p.clients['User Service'] === 1),
    );
    assert.equal(point.clientsError, undefined);
  });

  it('takes no sample while hidden, keeps what it has, and goes on when shown again', async () => {
    await held();
    const other = await vscode.workspace.openTextDocument({ content: 'hides the Server Info page' });
    await vscode.window.showTextDocument(other, { viewColumn: vscode.ViewColumn.Active, preview: false });
    const hidden = await eventually('sampling to stop', async () => {
      const now = await held();
      return !now.sampling && now;
    });
    // A read in flight when it was hidden may still land: count from after it.
    await eventually('no read in flight', async () => (await held()).points.length === (await held()).reads);
    const before = await held();
    const callsBefore = await infoCalls();
    await sleep(QUIET_MS);
    const after = await held();
    assert.equal(await infoCalls(), callsBefore + 1, 'no INFO but our own INFO commandstats');
    assert.equal(after.reads, before.reads);
    assert.equal(after.points.length, before.points.length, 'the samples are kept');
    assert.ok(hidden.points.length >= 3);

    // Shown again: the page reloads, gets the whole series back, and sampling resumes.
    const seriesPosted = after.posted.series;
    await vscode.commands.executeCommand('workbench.action.previousEditor');
    const resumed = await eventually('sampling again', async () => {
      const now = await held();
      return now.sampling && now.points.length > after.points.length && now.posted.series > seriesPosted && now;
    });
    assert.equal(
      resumed.points[after.points.length - 1]?.at,
      after.points.at(-1)?.at,
      'the old samples are still there',
    );
  });

  it('stops sampling when the page is closed', async () => {
    await held();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await eventually('the page to close', async () => (await charts()) === undefined && infoTab() === undefined);
    await sleep(500); // a read in flight at the close ends
    const callsBefore = await infoCalls();
    await sleep(QUIET_MS);
    assert.equal(await infoCalls(), callsBefore + 1, 'no INFO but our own INFO commandstats');
  });

  it('shows a gap saying why when the server stops answering, and resumes', async function () {
    this.timeout(120_000);
    await vscode.commands.executeCommand<InfoPanelState>('sharedRedis.info');
    await eventually('a sample', async () => samples(await held()).length >= 1);
    server.pause(); // a real hang: connections open, no answer
    let gap: ChartPoint;
    try {
      gap = await eventually('a gap', async () => (await held()).points.find((p) => p.gap !== undefined), {
        timeoutMs: 30_000,
      });
    } finally {
      server.resume();
    }
    assert.match(gap.gap ?? '', new RegExp(`127\\.0\\.0\\.1:${server.port} did not answer in time`));
    const resumed = await eventually(
      'a sample after the gap',
      // In the series' order, not by time: the next read starts at once after a time-out, in the same ms at times.
      async () => {
        const points = (await held()).points;
        const at = points.findIndex((p) => p.at === gap.at && p.gap === gap.gap);
        return at < 0 ? undefined : points.slice(at + 1).find((p) => p.gap === undefined);
      },
      { timeoutMs: 30_000 },
    );
    assert.equal(resumed.restart, 'resumed');
  });
});

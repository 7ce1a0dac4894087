import type Redis from 'ioredis';
import { parseInfo } from '../../redis/info';
import { parseKeyspace } from '../../redis/serverInfo/summary';
import { BackupError } from './errors';

/** Where and how the server keeps its data, from CONFIG GET (with the defaults if CONFIG is not allowed). */
export interface PersistenceConfig {
  /** False when CONFIG GET was refused (an ACL user without it, or CONFIG renamed): `dir` and
   * `dbfilename` are then Redis's defaults, a guess. */
  readonly fromConfig: boolean;
  readonly dir: string;
  readonly dbfilename: string;
  readonly appendonly: boolean;
  /** Redis 7's AOF folder (`appendonlydir`); undefined on Redis 6, whose AOF is one file. */
  readonly appenddirname: string | undefined;
  readonly appendfilename: string;
  readonly redisVersion: string | undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function configGet(client: Redis, name: string): Promise<string | undefined> {
  try {
    const reply = (await client.call('CONFIG', 'GET', name)) as string[];
    return reply[1];
  } catch {
    // An ACL user without CONFIG: fall back to what INFO and the defaults say.
    return undefined;
  }
}

export async function persistenceConfig(client: Redis): Promise<PersistenceConfig> {
  const info = parseInfo(await client.info());
  const [dir, dbfilename, appendonly, appenddirname, appendfilename] = await Promise.all(
    ['dir', 'dbfilename', 'appendonly', 'appenddirname', 'appendfilename'].map((name) => configGet(client, name)),
  );
  const redisVersion = info.get('server')?.['redis_version'];
  const major = Number(/^(\d+)/.exec(redisVersion ?? '')?.[1] ?? '7');
  return {
    fromConfig: dir !== undefined && dbfilename !== undefined,
    dir: dir || '/data',
    dbfilename: dbfilename || 'dump.rdb',
    appendonly: appendonly !== undefined ? appendonly === 'yes' : info.get('persistence')?.['aof_enabled'] === '1',
    appenddirname: appenddirname || (major >= 7 ? 'appendonlydir' : undefined),
    appendfilename: appendfilename || 'appendonly.aof',
    redisVersion,
  };
}

/** INFO stats' `total_forks` (every fork: saves, AOF rewrites); undefined where INFO does not give it. */
async function totalForks(client: Redis): Promise<number | undefined> {
  const forks = parseInfo(await client.info('stats')).get('stats')?.['total_forks'];
  return forks === undefined ? undefined : Number(forks);
}

/** Every key of every database (INFO keyspace), which counts without walking the keyspace. */
export async function countKeys(client: Redis): Promise<number> {
  const info = parseInfo(await client.info('keyspace'));
  return parseKeyspace(info.get('keyspace')).reduce((sum, db) => sum + db.keys, 0);
}

export interface SnapshotOptions {
  readonly timeoutMs?: number;
  readonly onState?: (message: string) => void;
  /**
   * The last lines of the server's log (the container's output): when the save fails, the
   * reason its child logged (a folder it may not write, a full disk) is taken from there.
   */
  readonly serverLog?: () => Promise<readonly string[]>;
}

/** A snapshot Redis finished. */
export interface Snapshot {
  /** The server's second (TIME) when its BGSAVE was sent: the file it wrote has an mtime in
   * this second or later, and a file last written before it is not that snapshot. */
  readonly startedAt: number;
  /** LASTSAVE once it was on disk. */
  readonly savedAt: number;
}

/**
 * BGSAVE, and waits until that snapshot (not an earlier one) is on disk: LASTSAVE moves
 * past its value before the BGSAVE. A save already running is waited for first, an AOF
 * rewrite in progress makes the save wait its turn (BGSAVE SCHEDULE). Fails with
 * Redis's own status when the child could not write the file.
 */
export async function snapshot(client: Redis, options: SnapshotOptions = {}): Promise<Snapshot> {
  const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000);
  const persistence = async (): Promise<Record<string, string>> =>
    parseInfo(await client.info('persistence')).get('persistence') ?? {};
  const lastsave = async (): Promise<number> => Number(await client.lastsave());
  const overdue = (): void => {
    if (Date.now() > deadline) {
      throw new BackupError(
        'snapshot-failed',
        `Redis did not finish its snapshot within ${Math.round((options.timeoutMs ?? 600_000) / 1000)} s.`,
      );
    }
  };

  for (;;) {
    overdue();
    const before = await persistence();
    if (before['rdb_bgsave_in_progress'] === '1') {
      options.onState?.('Waiting for a snapshot already in progress');
      await sleep(200);
      continue;
    }
    let last = await lastsave();
    // LASTSAVE counts seconds: start in a later second than the last save, so that a save
    // finishing within the same second still shows as a change. And 50 ms into it: the file's
    // mtime, from the kernel's coarser clock, then falls in that second too (see Snapshot).
    let startedAt: number;
    for (;;) {
      const [seconds, micros] = await client.time();
      startedAt = Number(seconds);
      if (startedAt > last && Number(micros) >= 50_000) break;
      overdue();
      await sleep(50);
    }
    last = await lastsave();
    let reply: unknown;
    try {
      reply = await client.call('BGSAVE', 'SCHEDULE');
    } catch (error) {
      if (/already in progress/i.test((error as Error).message)) continue;
      throw new BackupError('snapshot-failed', `Redis refused BGSAVE: ${(error as Error).message}`);
    }
    options.onState?.('Redis is writing its snapshot');
    // "Background saving started": this save runs now (not "scheduled" after an AOF rewrite). A
    // child that fails at once (a full disk) may be gone before the first look below, and an
    // `err` status then is this save's even when the one before it failed too.
    let seenRunning = /started/i.test(String(reply));
    // "Scheduled": it forks once the AOF rewrite ahead of it is done. A child that fails at once
    // may be reaped before any look sees it run; a fork counted since, with no rewrite and no
    // save running, then says that this save has run (and an `err` status is its own).
    const forksAtReply = seenRunning ? undefined : await totalForks(client);
    const ranSinceScheduled = async (state: Record<string, string>): Promise<boolean> =>
      forksAtReply !== undefined &&
      state['aof_rewrite_in_progress'] === '0' &&
      ((await totalForks(client)) ?? 0) > forksAtReply;
    for (;;) {
      await sleep(100);
      const now = await lastsave();
      if (now > last) return { startedAt, savedAt: now };
      const state = await persistence();
      if (state['rdb_bgsave_in_progress'] === '1') seenRunning = true;
      else if (
        state['rdb_last_bgsave_status'] === 'err' &&
        (seenRunning || before['rdb_last_bgsave_status'] !== 'err' || (await ranSinceScheduled(state)))
      ) {
        const reason = await saveFailureReason(options.serverLog);
        throw new BackupError(
          'snapshot-failed',
          reason
            ? `Redis could not write its snapshot: ${reason} (from the server's log).`
            : 'Redis could not write its snapshot (rdb_last_bgsave_status: err); its log says why, often a full disk.',
        );
      }
      overdue();
    }
  }
}

/**
 * Why the last background save failed, in the server's words: the warnings (`#`) its child
 * logged, the child of the last "Background saving started by pid N" (lines `N:C … # …`), e.g.
 * "Failed opening the temp RDB file temp-N.rdb (in server root dir /data) for saving:
 * Permission denied" or "Write error saving DB on disk: No space left on device".
 * Undefined when the log cannot be read or says nothing about it.
 */
export async function saveFailureReason(
  serverLog: (() => Promise<readonly string[]>) | undefined,
): Promise<string | undefined> {
  if (!serverLog) return undefined;
  let lines: readonly string[];
  try {
    lines = await serverLog();
  } catch {
    return undefined; // the log is a bonus: the failure is reported without it
  }
  // By pid, wherever the line is: a child that fails at once may log before its parent logs the fork.
  let child: string | undefined;
  const warnings = new Map<string, string[]>();
  for (const line of lines) {
    const started = /Background saving started by pid (\d+)/.exec(line);
    if (started) {
      child = started[1];
      continue;
    }
    const warning = /^\s*(\d+):C [^#]*# (.+)$/.exec(line);
    if (warning?.[1]) warnings.set(warning[1], [...(warnings.get(warning[1]) ?? []), (warning[2] ?? '').trim()]);
  }
  const reasons = child === undefined ? [] : (warnings.get(child) ?? []);
  const text = reasons.filter(Boolean).join('; ');
  return text ? (text.length > 500 ? `${text.slice(0, 500)}…` : text) : undefined;
}

import { ReplyError } from 'ioredis';
import type Redis from 'ioredis';
import { parseInfo } from '../info';
import { callWithRight, listClients } from './clientList';
import { ChartPoint, ClientsReading, clientsPerService, InfoReading, InfoSeries, readingOf } from './infoSeries';

/** One INFO and one CLIENT LIST: what a chart sample costs the server (two commands, a few KiB). */
export interface ServerSample {
  readonly reading: InfoReading;
  readonly clients: ClientsReading;
}

/**
 * Reads one sample on `client`. INFO refused (a missing `+info` right) fails the sample with a
 * MissingRightError; CLIENT LIST refused (a missing right, or a server that renamed or
 * disabled CLIENT) only empties the clients chart, with the reason, so the others still work.
 */
export async function readServerSample(
  client: Redis,
  serviceOf: (user: string) => string | undefined,
  now: () => number = Date.now,
): Promise<ServerSample> {
  const at = now();
  const info = await callWithRight(client, ['INFO'], 'INFO', '+info');
  const reading = readingOf(parseInfo(Buffer.isBuffer(info) ? info.toString('utf8') : String(info)), at);
  let clients: ClientsReading;
  try {
    clients = { counts: clientsPerService(await listClients(client), serviceOf) };
  } catch (error) {
    // A reply is the server saying no; anything else (a dropped connection) fails the sample.
    if (!(error instanceof ReplyError) && !(error instanceof Error && error.name === 'MissingRightError')) throw error;
    clients = { error: error instanceof Error ? error.message : String(error) };
  }
  return { reading, clients };
}

/** Every 2 s: often enough to see a burst, rare enough to cost the server nothing measurable. */
export const SAMPLE_INTERVAL_MS = 2_000;

/**
 * Takes a sample now and then every `intervalMs` while started, into `series`; nothing runs
 * while stopped (no timer, no command). A failed read becomes a gap with its reason, and
 * sampling goes on: the next read tries again (and the session reconnects).
 */
export class InfoSampler {
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private reading: Promise<void> | undefined;
  /** How many samples were asked of the server: a test checks it stops. */
  reads = 0;

  constructor(
    private readonly read: () => Promise<ServerSample>,
    private readonly onPoint: (point: ChartPoint) => void,
    private readonly describeError: (error: unknown) => string,
    readonly series = new InfoSeries(),
    readonly intervalMs = SAMPLE_INTERVAL_MS,
  ) {}

  get running(): boolean {
    return this.started;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    // A read still in flight from before a stop records its point; the next one follows it.
    if (!this.reading) this.tick();
  }

  stop(): void {
    this.started = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    this.timer = undefined;
    if (!this.started) return;
    const began = Date.now();
    this.reads++;
    this.reading = this.read()
      .then(
        (sample) => this.series.add(sample.reading, sample.clients),
        (error: unknown) => this.series.addGap(Date.now(), this.describeError(error)),
      )
      .then((point) => this.onPoint(point))
      .finally(() => {
        this.reading = undefined;
        if (this.started) {
          // The next read 2 s after this one began, never two at once behind a slow server.
          this.timer = setTimeout(() => this.tick(), Math.max(0, this.intervalMs - (Date.now() - began)));
        }
      });
  }
}

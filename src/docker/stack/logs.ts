import type Docker from 'dockerode';
import { allowQuiet } from '../quietStream';
import { finished, PassThrough, Readable } from 'node:stream';
import { LineBuffer } from '../lineStream';

export type OutputName = 'stdout' | 'stderr';

/** The last `lines` lines a container wrote, stdout and stderr together. */
export async function tailLogs(docker: Docker, containerId: string, lines = 20): Promise<string[]> {
  const container = docker.getContainer(containerId);
  const [info, raw] = await Promise.all([container.inspect(), container.logs({ stdout: true, stderr: true, follow: false, tail: lines })]);
  const collected: string[] = [];
  await new Promise<void>((resolve) => splitStreams(docker, Readable.from([raw]), info.Config.Tty, (line) => collected.push(line), resolve));
  return collected.slice(-lines);
}

export interface LogFollower {
  dispose(): void;
}

/** Follows a container's logs, starting with its last `tail` lines, one callback per line. */
export async function followLogs(
  docker: Docker,
  containerId: string,
  onLine: (line: string, stream: OutputName) => void,
  options: { tail?: number; onEnd?: () => void } = {},
): Promise<LogFollower> {
  const container = docker.getContainer(containerId);
  const info = await container.inspect();
  const stream = allowQuiet(await container.logs({ stdout: true, stderr: true, follow: true, tail: options.tail ?? 200 }) as NodeJS.ReadableStream & { destroy(): void });
  // After dispose nothing more is said: the caller may already show another follower's lines.
  let disposed = false;
  splitStreams(docker, stream, info.Config.Tty, (line, name) => { if (!disposed) onLine(line, name); }, () => { if (!disposed) options.onEnd?.(); });
  return { dispose: () => { disposed = true; stream.destroy(); } };
}

/**
 * Containers without a TTY send stdout and stderr multiplexed in one stream; dockerode's
 * modem splits it. Each output is then cut into whole lines.
 */
function splitStreams(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  tty: boolean,
  onLine: (line: string, stream: OutputName) => void,
  onEnd: () => void,
): void {
  const outputs = { stdout: new PassThrough(), stderr: new PassThrough() };
  let open = 2;
  for (const name of ['stdout', 'stderr'] as const) {
    const lines = new LineBuffer();
    outputs[name].on('data', (chunk: Buffer) => lines.push(chunk).forEach((line) => onLine(line, name)));
    outputs[name].on('end', () => {
      lines.flush().forEach((line) => onLine(line, name));
      if (--open === 0) onEnd();
    });
  }
  // The outputs end when the engine's stream does, however it does: at its end, on an
  // error (engine restarted, socket cut) or closed early; `finished` also keeps an error
  // from going unhandled. So pipe without its own end.
  if (tty) stream.pipe(outputs.stdout, { end: false }); else docker.modem.demuxStream(stream, outputs.stdout, outputs.stderr);
  finished(stream as Readable, () => { outputs.stdout.end(); outputs.stderr.end(); });
}

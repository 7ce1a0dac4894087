import type Docker from 'dockerode';
import { PassThrough, Readable } from 'node:stream';
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
  const stream = await container.logs({ stdout: true, stderr: true, follow: true, tail: options.tail ?? 200 }) as NodeJS.ReadableStream & { destroy(): void };
  splitStreams(docker, stream, info.Config.Tty, onLine, () => options.onEnd?.());
  return { dispose: () => stream.destroy() };
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
  if (tty) stream.pipe(outputs.stdout); else docker.modem.demuxStream(stream, outputs.stdout, outputs.stderr);
  stream.on('end', () => { outputs.stdout.end(); outputs.stderr.end(); });
}

import { spawnSync } from 'node:child_process';
import { get } from 'node:http';
import { eventually } from '../../support/eventually';

/**
 * The extension host's V8 inspector (code-server starts it with `--inspect=PORT` when the
 * workbench URL's payload carries `inspect-extensions`), spoken to with the Chrome
 * DevTools Protocol over a WebSocket: forced GC and heap size, CPU profiles.
 * Needs Node's WebSocket (`node --experimental-websocket` on Node 20).
 */
export class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener('message', (event: MessageEvent) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
      if (message.id === undefined) return;
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) waiting?.reject(new Error(message.error.message));
      else waiting?.resolve(message.result);
    });
  }

  /** Connects to the inspector on `port` once it listens (the extension host starts with the workbench). */
  static async connect(port: number, timeoutMs = 60_000): Promise<Inspector> {
    const url = await eventually(
      `the extension host's inspector on port ${port}`,
      () =>
        targets(port).then(
          (list) => list[0]?.webSocketDebuggerUrl,
          () => undefined,
        ),
      { timeoutMs, intervalMs: 250 },
    );
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener('open', () => resolve(), { once: true });
      socket.addEventListener('error', () => reject(new Error(`cannot open ${url}`)), { once: true });
    });
    return new Inspector(socket);
  }

  send<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** The heap in use after a forced full GC, in bytes. */
  async heapAfterGc(): Promise<number> {
    await this.send('HeapProfiler.collectGarbage');
    await this.send('HeapProfiler.collectGarbage');
    return (await this.send<{ usedSize: number }>('Runtime.getHeapUsage')).usedSize;
  }

  close(): void {
    this.socket.close();
  }
}

function targets(port: number): Promise<{ webSocketDebuggerUrl?: string }[]> {
  return new Promise((resolve, reject) => {
    const request = get(`http://127.0.0.1:${port}/json/list`, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => {
        try {
          resolve(JSON.parse(body) as { webSocketDebuggerUrl?: string }[]);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
    request.setTimeout(2_000, () => request.destroy());
    request.once('error', reject);
  });
}

/** A V8 CPU profile (Profiler.stop's `profile`). */
export interface CpuProfile {
  readonly nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    hitCount?: number;
    children?: number[];
  }[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: number[];
  readonly timeDeltas?: number[];
}

/** Self time per function (name, file, line), largest first, in ms; with `inclusive`, the time
 * in the function and everything it called (a function on the stack twice counts once). */
export function selfTimes(profile: CpuProfile, inclusive = false): { fn: string; ms: number; share: number }[] {
  const byNode = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] as number;
    // A sample's time is the delta to the next sample.
    byNode.set(id, (byNode.get(id) ?? 0) + ((deltas[i + 1] ?? 0) as number) / 1000);
  }
  const total = [...byNode.values()].reduce((a, b) => a + b, 0);
  const nameOf = (node: CpuProfile['nodes'][number]): string => {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.split('/').slice(-2).join('/');
    return `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
  };
  const byFunction = new Map<string, number>();
  if (inclusive) {
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const visit = (id: number, onStack: Set<string>): number => {
      const node = nodes.get(id);
      if (!node) return 0;
      const fn = nameOf(node);
      const nested = onStack.has(fn);
      if (!nested) onStack.add(fn);
      let ms = byNode.get(id) ?? 0;
      for (const child of node.children ?? []) ms += visit(child, onStack);
      if (!nested) {
        onStack.delete(fn);
        byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
      }
      return ms;
    };
    const root = profile.nodes[0];
    if (root) visit(root.id, new Set());
  } else {
    for (const node of profile.nodes) {
      const ms = byNode.get(node.id) ?? 0;
      if (ms > 0) byFunction.set(nameOf(node), (byFunction.get(nameOf(node)) ?? 0) + ms);
    }
  }
  return [...byFunction.entries()]
    .map(([fn, ms]) => ({ fn, ms, share: total > 0 ? ms / total : 0 }))
    .sort((a, b) => b.ms - a.ms);
}

/**
 * Runs `main` with Node's WebSocket, which the inspector client needs: behind a flag on
 * Node 20, so the script runs itself again with it. Cleanups run at the end either way.
 */
export function runWithWebSocket(script: string, main: () => Promise<void>, runCleanups: () => Promise<void>): void {
  if (typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'undefined') {
    const again = spawnSync(process.execPath, ['--experimental-websocket', ...process.execArgv, script], {
      stdio: 'inherit',
    });
    process.exit(again.status ?? 1);
  }
  main().then(
    () => runCleanups(),
    async (error: unknown) => {
      console.error(error);
      await runCleanups();
      process.exitCode = 1;
    },
  );
}

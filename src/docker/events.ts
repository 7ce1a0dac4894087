import type Docker from 'dockerode';
import { LineBuffer } from './lineStream';
import { allowQuiet } from './quietStream';
import { PROJECT_LABEL } from './stack/labels';

/** The parts of an engine event a stack view needs. */
export interface EngineEvent {
  readonly type: string;
  readonly action: string;
  readonly id: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly time: number;
}

export interface EventSubscription {
  dispose(): void;
}

/**
 * Follows the engine's events for one compose project (filtered by its label, so other
 * containers cost nothing), splitting the stream into whole JSON lines. If the stream
 * drops (engine restarted, socket closed), it subscribes again with a growing delay.
 */
export function followProjectEvents(
  docker: Docker,
  project: string,
  onEvent: (event: EngineEvent) => void,
  onStateChange: (connected: boolean, error?: Error) => void = () => undefined,
): EventSubscription {
  let disposed = false;
  let stream: (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let failures = 0;

  const resubscribe = (error?: Error): void => {
    stream = undefined;
    if (disposed) return;
    onStateChange(false, error);
    failures += 1;
    retryTimer = setTimeout(subscribe, Math.min(250 * 2 ** (failures - 1), 10_000));
  };

  const subscribe = (): void => {
    if (disposed) return;
    docker.getEvents({ filters: { label: [`${PROJECT_LABEL}=${project}`] } }).then(
      (events) => {
        if (disposed) {
          (events as { destroy?: () => void }).destroy?.();
          return;
        }
        stream = allowQuiet(events);
        failures = 0;
        onStateChange(true);
        const lines = new LineBuffer();
        events.on('data', (chunk: Buffer) => {
          for (const line of lines.push(chunk)) {
            const event = parseEvent(line);
            if (event) onEvent(event);
          }
        });
        events.once('error', (error: Error) => resubscribe(error));
        events.once('end', () => resubscribe());
      },
      (error: Error) => resubscribe(error),
    );
  };

  subscribe();
  return {
    dispose: () => {
      disposed = true;
      if (retryTimer) clearTimeout(retryTimer);
      stream?.removeAllListeners();
      stream?.destroy?.();
    },
  };
}

export function parseEvent(line: string): EngineEvent | undefined {
  if (!line.trim()) return undefined;
  try {
    const raw = JSON.parse(line) as {
      Type?: string;
      Action?: string;
      status?: string;
      Actor?: { ID?: string; Attributes?: Record<string, string> };
      id?: string;
      time?: number;
    };
    return {
      type: raw.Type ?? 'container',
      action: raw.Action ?? raw.status ?? '',
      id: raw.Actor?.ID ?? raw.id ?? '',
      attributes: raw.Actor?.Attributes ?? {},
      time: raw.time ?? 0,
    };
  } catch {
    return undefined;
  }
}

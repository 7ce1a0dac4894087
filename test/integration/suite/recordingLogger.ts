import type { Logger } from '../../../src/logger';

/** A Logger that appends every line, of any level and any child, to `lines`. */
export function recordingLogger(lines: string[]): Logger {
  const logger: Logger = {
    trace: (m) => lines.push(m),
    debug: (m) => lines.push(m),
    info: (m) => lines.push(m),
    warn: (m) => lines.push(m),
    error: (m) => lines.push(typeof m === 'string' ? m : m.message),
    child: () => logger,
    show: () => undefined,
  };
  return logger;
}

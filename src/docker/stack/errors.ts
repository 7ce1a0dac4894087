export type StackFailureKind =
  | 'image-missing'
  | 'port-in-use'
  | 'container-exited'
  | 'unhealthy'
  | 'paused'
  | 'missing-external'
  | 'cancelled'
  | 'engine';

/** A stack operation that failed, with what to do, and the service's last log lines when it ran. */
export class StackError extends Error {
  override readonly name = 'StackError';

  constructor(
    readonly kind: StackFailureKind,
    message: string,
    readonly service?: string,
    readonly logs: readonly string[] = [],
  ) {
    super(logs.length > 0 ? `${message}\nLast ${logs.length} log lines:\n${logs.join('\n')}` : message);
  }
}

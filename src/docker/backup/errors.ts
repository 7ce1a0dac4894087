export type BackupFailureKind =
  /** The chosen file is not a Redis backup, is damaged, or is too new for this Redis. Nothing was changed. */
  | 'invalid-file'
  /** Redis could not write its snapshot (BGSAVE failed or did not finish in time). */
  | 'snapshot-failed'
  /** The stack's Redis container is not running, so it cannot be backed up or check a file. */
  | 'not-running'
  /** Copying into or out of the container failed. */
  | 'engine';

/** A backup or restore that failed, with a message that names the file and says what was (not) changed. */
export class BackupError extends Error {
  override readonly name = 'BackupError';

  constructor(
    readonly kind: BackupFailureKind,
    message: string,
    readonly file?: string,
  ) {
    super(message);
  }
}

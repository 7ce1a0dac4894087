/** One thing wrong with a compose file (or a file it reads): where, and what. */
export interface ComposeProblem {
  /** The file as the caller named it (the compose file, its `.env` or an `env_file`). */
  readonly file: string;
  /** 1-based line, when known. */
  readonly line?: number;
  /** Key path in the compose file: `services.shared-redis.ports[0]`. */
  readonly keyPath?: string;
  /** What is wrong, without the location. */
  readonly message: string;
  /** Set when a required variable (`${VAR:?message}`) has no value. */
  readonly variable?: string;
}

/** A problem with only the fields that are known (the model's optional fields stay absent, not undefined). */
export function problemAt(
  file: string,
  line: number | undefined,
  keyPath: string | undefined,
  message: string,
  variable?: string,
): ComposeProblem {
  return {
    file,
    ...(line !== undefined ? { line } : {}),
    ...(keyPath ? { keyPath } : {}),
    message,
    ...(variable !== undefined ? { variable } : {}),
  };
}

/** `docker-compose.yml line 12: services.shared-redis.ports[0]: expected ..., got true`. */
export function formatProblem(problem: ComposeProblem): string {
  const where = problem.line !== undefined ? `${problem.file} line ${problem.line}` : problem.file;
  return problem.keyPath ? `${where}: ${problem.keyPath}: ${problem.message}` : `${where}: ${problem.message}`;
}

/**
 * A compose file that cannot be used as it is. The message is the first problem, with
 * its file, line and key path; {@link problems} has every one that was found.
 */
export class ComposeFileError extends Error {
  override readonly name = 'ComposeFileError';
  readonly file: string;
  readonly line: number | undefined;
  readonly keyPath: string | undefined;
  /** The variable of a `${VAR:?message}` that has no value, when that is the first problem. */
  readonly variable: string | undefined;
  readonly problems: readonly ComposeProblem[];

  constructor(problems: readonly ComposeProblem[]) {
    const first = problems[0];
    if (!first) throw new TypeError('ComposeFileError needs at least one problem');
    super(formatProblem(first));
    this.file = first.file;
    this.line = first.line;
    this.keyPath = first.keyPath;
    this.variable = first.variable;
    this.problems = problems;
  }
}

/** Splits a byte stream into whole lines, keeping a partial line until its end arrives. */
export class LineBuffer {
  private pending = '';

  /** The complete lines in `chunk` (and any carried over), without their line ends. */
  push(chunk: Buffer | string): string[] {
    this.pending += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    return lines.map((line) => line.replace(/\r$/, ''));
  }

  /** What is left when the stream ends. */
  flush(): string[] {
    const rest = this.pending;
    this.pending = '';
    return rest ? [rest] : [];
  }
}

import { StringDecoder } from 'node:string_decoder';

/**
 * Splits a byte stream into whole lines, keeping a partial line until its end arrives.
 * Bytes are decoded with a StringDecoder: a multi-byte UTF-8 character cut between two
 * chunks (the engine cuts log lines at 16 KiB, sockets anywhere) stays one character.
 */
export class LineBuffer {
  private pending = '';
  private readonly decoder = new StringDecoder('utf8');

  /** The complete lines in `chunk` (and any carried over), without their line ends. */
  push(chunk: Buffer | string): string[] {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    return lines.map((line) => line.replace(/\r$/, ''));
  }

  /** What is left when the stream ends (an incomplete character at the very end shows as U+FFFD). */
  flush(): string[] {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    return rest ? [rest] : [];
  }
}

import { ChildProcess, spawn } from 'node:child_process';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { allowQuiet } from '../docker/quietStream';
import * as vscode from 'vscode';
import { describeEndpoint, RedisEndpoint } from '../redis/endpoint';
import { CliTarget, containerCliLaunch, localCliLaunch, RedisCliLaunch } from '../redis/serverInfo';

/** What both CLI terminals expose besides being a Pseudoterminal: their output so far, for tests and diagnostics. */
export interface RedisCliPty extends vscode.Pseudoterminal {
  readonly kind: 'local' | 'container';
  /** Everything written to the terminal so far (the last 1 MB). */
  readonly output: string;
  /** Resolves with the output once it matches `pattern` (rejects after `timeoutMs`). */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the terminal's process ended, with its exit code when known. */
  readonly exited: Promise<number | undefined>;
}

const MAX_OUTPUT = 1024 * 1024;

/** Terminal output bookkeeping shared by both kinds. */
abstract class CliPtyBase implements vscode.Disposable {
  protected readonly writeEmitter = new vscode.EventEmitter<string>();
  protected readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private text = '';
  private readonly waiters = new Set<() => void>();
  private resolveExit: (code: number | undefined) => void = () => undefined;
  readonly exited = new Promise<number | undefined>((resolve) => {
    this.resolveExit = resolve;
  });
  protected ended = false;

  get output(): string {
    return this.text;
  }

  protected write(data: string): void {
    const terminalText = data.replace(/\r?\n/g, '\r\n');
    this.text = (this.text + terminalText).slice(-MAX_OUTPUT);
    this.writeEmitter.fire(terminalText);
    for (const waiter of [...this.waiters]) waiter();
  }

  protected finish(code: number | undefined, message?: string): void {
    if (this.ended) return;
    this.ended = true;
    if (message) this.write(`\r\n${message}\r\n`);
    this.resolveExit(code);
    this.closeEmitter.fire(code ?? 0);
  }

  waitForOutput(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (pattern.test(this.text)) {
          done();
          resolve(this.text);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `The terminal did not show ${String(pattern)} within ${timeoutMs} ms; it showed: ${JSON.stringify(this.text.slice(-500))}`,
          ),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  dispose(): void {
    this.writeEmitter.dispose();
    this.closeEmitter.dispose();
  }
}

/**
 * A local `redis-cli` on pipes, with the line editing a terminal gives (echo, backspace,
 * history with the arrow keys, Ctrl+C clears the line, Ctrl+D or `exit` ends). The
 * password is in the child's environment (REDISCLI_AUTH), never in its arguments.
 */
export class LocalRedisCliPty extends CliPtyBase implements RedisCliPty {
  readonly kind = 'local';
  private child: ChildProcess | undefined;
  private line = '';
  private readonly history: string[] = [];
  private historyIndex = 0;
  private promptTimer: NodeJS.Timeout | undefined;
  private readonly prompt: string;

  // True private fields, set once: the command hands this object back (and any extension sees
  // it in the terminal's creation options), so what runs, with which password, is out of reach.
  readonly #launch: RedisCliLaunch;
  readonly #executable: string;
  readonly #where: string;
  #opened = false;

  constructor(endpoint: RedisEndpoint, password: string | undefined, executable = 'redis-cli', target: CliTarget = {}) {
    super();
    this.#launch = localCliLaunch(endpoint, password, target);
    this.#executable = executable;
    this.#where = describeEndpoint(endpoint);
    const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
    this.prompt = `${host}:${endpoint.port}${endpoint.db !== 0 ? `[${endpoint.db}]` : ''}> `;
  }

  /** The redis-cli process id once open. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  open(): void {
    if (this.#opened) return;
    this.#opened = true;
    const launch = this.#launch;
    const env: NodeJS.ProcessEnv = { ...process.env, ...launch.env };
    // A REDISCLI_AUTH of the editor's own environment must not reach another server.
    if (!launch.env['REDISCLI_AUTH']) delete env['REDISCLI_AUTH'];
    this.write(`redis-cli connected to ${this.#where}. Type a command and press Enter; "exit" or Ctrl+D closes.\n`);
    let child: ChildProcess;
    try {
      child = spawn(this.#executable, [...launch.args], { env, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    } catch (error) {
      this.finish(1, `Could not start redis-cli: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => this.output_(chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => this.output_(chunk.toString('utf8')));
    child.on('error', (error) => this.finish(1, `redis-cli failed: ${error.message}`));
    child.on('exit', (code, signal) =>
      this.finish(
        code ?? undefined,
        `redis-cli exited${signal ? ` (${signal})` : code ? ` with ${code}` : ''}. Close this terminal or press any key.`,
      ),
    );
    child.stdin?.on('error', () => undefined);
    this.write(this.prompt);
  }

  private output_(text: string): void {
    this.write(text);
    // The reply ends when output pauses: show the prompt again, with what is typed so far.
    if (this.promptTimer) clearTimeout(this.promptTimer);
    this.promptTimer = setTimeout(() => {
      this.promptTimer = undefined;
      if (!this.ended) this.write(this.prompt + this.line);
    }, 40);
  }

  handleInput(data: string): void {
    if (this.ended) {
      this.closeEmitter.fire(0);
      return;
    }
    for (let i = 0; i < data.length; i++) {
      const char = data[i] as string;
      if (char === '\x1b') {
        const sequence = escapeSequence(data, i);
        i += sequence.length - 1;
        if (sequence === '\x1b[A') this.recall(-1);
        else if (sequence === '\x1b[B') this.recall(1);
        continue;
      }
      if (char === '\r' || char === '\n') {
        if (char === '\n' && data[i - 1] === '\r') continue;
        this.submit();
      } else if (char === '\x7f' || char === '\b') {
        if (this.line.length > 0) {
          this.line = this.line.slice(0, -1);
          this.write('\b \b');
        }
      } else if (char === '\x03') {
        this.line = '';
        this.write(`^C\n${this.prompt}`);
      } else if (char === '\x04') {
        if (this.line.length === 0) {
          this.write('\n');
          this.child?.stdin?.end();
        }
      } else if (char === '\x15') {
        this.write('\b \b'.repeat(this.line.length));
        this.line = '';
      } else if (char >= ' ') {
        this.line += char;
        this.write(char);
      }
    }
  }

  private recall(step: number): void {
    if (this.history.length === 0) return;
    this.historyIndex = Math.max(0, Math.min(this.history.length, this.historyIndex + step));
    const next = this.history[this.historyIndex] ?? '';
    this.write('\b \b'.repeat(this.line.length) + next);
    this.line = next;
  }

  private submit(): void {
    const line = this.line;
    this.line = '';
    this.write('\n');
    if (line.trim() === '') {
      this.write(this.prompt);
      return;
    }
    if (this.history[this.history.length - 1] !== line) this.history.push(line);
    this.historyIndex = this.history.length;
    this.child?.stdin?.write(`${line}\n`);
  }

  close(): void {
    if (this.promptTimer) clearTimeout(this.promptTimer);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.stdin?.end();
      child.kill('SIGTERM');
    }
    this.finish(undefined);
  }
}

/**
 * `redis-cli` inside the stack's container through the engine (an exec with a TTY):
 * redis-cli's own line editing, hints and prompt. The password is in the exec's Env.
 */
export class ContainerRedisCliPty extends CliPtyBase implements RedisCliPty {
  readonly kind = 'container';
  private stream: Duplex | undefined;
  private exec: Docker.Exec | undefined;
  private dimensions: vscode.TerminalDimensions | undefined;

  // True private fields, set once, as in LocalRedisCliPty: the container and what runs in it,
  // with which password, are out of reach of whoever holds this object.
  readonly #launch: RedisCliLaunch;
  readonly #container: Docker.Container;
  readonly #containerName: string;
  readonly #where: string;
  #opened = false;

  constructor(
    docker: Docker,
    containerId: string,
    endpoint: RedisEndpoint,
    password: string | undefined,
    containerName: string,
    target: CliTarget = {},
  ) {
    super();
    this.#launch = containerCliLaunch(endpoint, password, target);
    this.#container = docker.getContainer(containerId);
    this.#containerName = containerName;
    this.#where = describeEndpoint(endpoint);
  }

  open(initialDimensions: vscode.TerminalDimensions | undefined): void {
    if (this.#opened) return;
    this.#opened = true;
    this.dimensions = initialDimensions;
    this.write(`redis-cli in container ${this.#containerName} (the stack's Redis, ${this.#where}).\n`);
    void this.start().catch((error: unknown) =>
      this.finish(
        1,
        `Could not start redis-cli in ${this.#containerName}: ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
  }

  private async start(): Promise<void> {
    const launch = this.#launch;
    const exec = await this.#container.exec({
      Cmd: [...launch.args],
      Env: Object.entries(launch.env).map(([name, value]) => `${name}=${value}`),
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: true,
    });
    this.exec = exec;
    const stream = allowQuiet(await exec.start({ hijack: true, stdin: true, Tty: true }));
    this.stream = stream;
    if (this.ended) {
      stream.destroy();
      return;
    }
    stream.on('data', (chunk: Buffer) => this.write(chunk.toString('utf8')));
    stream.on('error', (error: Error) => this.finish(1, `The engine's stream failed: ${error.message}`));
    stream.on('end', () => {
      void exec
        .inspect()
        .then(
          (info) => info.ExitCode ?? undefined,
          () => undefined,
        )
        .then((code) =>
          this.finish(
            code ?? undefined,
            `redis-cli exited${code ? ` with ${code}` : ''}. Close this terminal or press any key.`,
          ),
        );
    });
    if (this.dimensions) this.setDimensions(this.dimensions);
  }

  handleInput(data: string): void {
    if (this.ended) {
      this.closeEmitter.fire(0);
      return;
    }
    this.stream?.write(data);
  }

  setDimensions(dimensions: vscode.TerminalDimensions): void {
    this.dimensions = dimensions;
    void this.exec?.resize({ h: dimensions.rows, w: dimensions.columns }).catch(() => undefined);
  }

  close(): void {
    this.stream?.end();
    this.stream?.destroy();
    this.finish(undefined);
  }
}

/** The ANSI escape sequence (`ESC [ … letter`) that starts at `start`, or a lone ESC. */
function escapeSequence(data: string, start: number): string {
  if (data[start + 1] !== '[') return '\x1b';
  let end = start + 2;
  while (end < data.length && /[0-9;]/.test(data[end] as string)) end++;
  return end < data.length && /[A-Za-z~]/.test(data[end] as string) ? data.slice(start, end + 1) : '\x1b';
}

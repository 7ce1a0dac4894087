import { spawn } from 'node:child_process';

/**
 * Runs `script` with Node in a process of its own, as a second VS Code window's extension host
 * would run the same compiled modules; resolves to what it wrote to stdout, rejects when it
 * exits non-zero (with its stderr).
 */
export function runInAnotherProcess(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { EngineCandidate } from '../../src/docker/endpoint';
import type { StackSettings } from '../../src/docker/stack/stackController';

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

/**
 * The script of another window's Start of `settings`, through the engine at `endpoint` as the
 * extension connects to it, begun at `startAt` (ms since the epoch): it prints the actions, or
 * `ERROR` and the first line of the message.
 */
export function startScript(settings: StackSettings, endpoint: EngineCandidate, startAt = 0): string {
  return `
    const Docker = require(${JSON.stringify(require.resolve('dockerode'))});
    const { dockerOptions } = require(${JSON.stringify(join(__dirname, '../../src/docker/endpoint.js'))});
    const { StackController } = require(${JSON.stringify(join(__dirname, '../../src/docker/stack/stackController.js'))});
    while (Date.now() < ${startAt}) {}
    new StackController(new Docker(dockerOptions(${JSON.stringify(endpoint)}))).start(${JSON.stringify(settings)}, { healthTimeoutMs: 90000 })
      .then((r) => process.stdout.write(JSON.stringify([...r.actions.values()])), (e) => process.stdout.write('ERROR ' + e.message.split('\\n')[0]));`;
}

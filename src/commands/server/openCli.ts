import * as vscode from 'vscode';
import { describeEndpoint } from '../../redis/endpoint';
import { findExecutable, redisCliInstallHint } from '../../redis/serverInfo';
import type { CommandHandler, ExtensionServices } from '../context';
import { ContainerRedisCliPty, LocalRedisCliPty, RedisCliPty } from '../../views/cliTerminal';

export interface OpenCliOptions {
  /** `container` or `local` only; by default the container when the stack serves the endpoint, else local. */
  readonly mode?: 'container' | 'local';
}

/** What `sharedRedis.openCli` resolves to. */
export interface OpenCliResult {
  readonly mode: 'container' | 'local' | 'missing';
  /** The terminal's name, when one was opened. */
  readonly name?: string;
  readonly terminal?: vscode.Terminal;
  /** The terminal's Pseudoterminal: its output so far and a way to wait for more. */
  readonly pty?: RedisCliPty;
  /** What was said when no terminal could be opened. */
  readonly message?: string;
}

/** The stack's Redis container when the session's endpoint is the stack's published port. */
function stackContainer(services: ExtensionServices): { id: string; name: string } | undefined {
  const snapshot = services.stack.snapshot;
  const endpoint = services.session.endpoint;
  const redis = snapshot.redis;
  if (!redis || redis.host !== endpoint.host || redis.port !== endpoint.port || endpoint.tls) return undefined;
  const service = snapshot.services.find(
    (s) => s.state === 'running' && s.ports.some((p) => p.containerPort === 6379 && p.hostPort === redis.port),
  );
  return service ? { id: service.containerId, name: service.containerName } : undefined;
}

/**
 * `sharedRedis.openCli`: a terminal running redis-cli on the shared Redis: inside the
 * stack's container through the engine when the stack serves it, else a local
 * redis-cli, else a message saying how to get one. The password travels in
 * REDISCLI_AUTH, never on a command line.
 */
export function openCliCommand(services: ExtensionServices): CommandHandler {
  const log = services.logger.child('CLI');
  return async (options?: OpenCliOptions): Promise<OpenCliResult> => {
    const { endpoint, credentials } = await services.session.target();
    const where = describeEndpoint(endpoint);
    // On a cluster redis-cli follows MOVED (-c); a Redis not reachable now still gets its terminal.
    const cluster = await services.session.topology().then(
      (topology) => topology.kind === 'cluster',
      () => false,
    );
    const container = options?.mode === 'local' ? undefined : stackContainer(services);
    let pty: RedisCliPty | undefined;
    let mode: 'container' | 'local' = 'local';
    if (container) {
      try {
        pty = new ContainerRedisCliPty(
          await services.stack.docker(),
          container.id,
          endpoint,
          credentials.password,
          container.name,
          { cluster },
        );
        mode = 'container';
      } catch (error) {
        log.warn(
          `The engine is not reachable for redis-cli in ${container.name} (${error instanceof Error ? error.message : String(error)}); trying a local redis-cli`,
        );
      }
    } else if (options?.mode === 'container') {
      const message = `The stack's Redis is not running at ${where}: start the stack to use the redis-cli in its container.`;
      void vscode.window.showWarningMessage(message);
      return { mode: 'missing', message };
    }
    if (!pty) {
      const executable = findExecutable('redis-cli');
      if (!executable) {
        const message = redisCliInstallHint();
        log.warn(message);
        const install = process.platform === 'darwin' ? 'brew install redis' : 'sudo apt-get install redis-tools';
        void vscode.window.showWarningMessage(message, 'Copy Install Command', 'Start Stack').then((choice) => {
          if (choice === 'Copy Install Command') void vscode.env.clipboard.writeText(install);
          if (choice === 'Start Stack') void vscode.commands.executeCommand('sharedRedis.start');
        });
        return { mode: 'missing', message };
      }
      pty = new LocalRedisCliPty(endpoint, credentials.password, executable, { cluster });
    }
    const name = mode === 'container' ? `redis-cli · ${container?.name ?? ''}` : `redis-cli · ${where}`;
    const terminal = vscode.window.createTerminal({ name, pty, iconPath: new vscode.ThemeIcon('terminal') });
    terminal.show();
    log.info(`Opened ${name} (${mode === 'container' ? "inside the stack's container" : 'local redis-cli'})`);
    return { mode, name, terminal, pty };
  };
}

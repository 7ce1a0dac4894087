import type Redis from 'ioredis';
import type { ComposeProject } from '../docker/compose/model';
import type { StackController } from '../docker/stack/stackController';
import type { ServiceStatus } from '../docker/stack/status';
import { connectRedis } from '../redis/connection';
import type { RedisEndpoint } from '../redis/endpoint';
import type { ExtensionServices } from './context';
import type { StackSnapshot } from '../stackService';
import type Docker from 'dockerode';

/** The stack's Redis as backup and restore need it: its container, and how to log in to it. */
export interface StackTarget {
  readonly docker: Docker;
  readonly controller: StackController;
  readonly project: ComposeProject;
  readonly container: ServiceStatus;
  readonly endpoint: RedisEndpoint;
  readonly password: string | undefined;
  /** A connection of its own (not the shared one, which a restore's stop would break). */
  connect(): Promise<Redis>;
}

/** Why there is no target: the engine or the stack is not there, or its Redis is not running. */
export class NoStackRedis extends Error {
  override readonly name = 'NoStackRedis';
  constructor(
    message: string,
    readonly canStart: boolean,
  ) {
    super(message);
  }
}

/**
 * Finds the running Redis of the stack (the service publishing 6379). Logs in with the
 * credentials the shared session uses when it talks to the stack, else with the stack's own
 * (the `operator` user and REDIS_PASSWORD from its `.env`).
 */
export async function stackTarget(services: ExtensionServices): Promise<StackTarget> {
  const snapshot = await services.stack.refresh();
  if (snapshot.engine !== 'reachable') {
    throw new NoStackRedis(
      `the Docker engine is not reachable${snapshot.engineError ? ` (${snapshot.engineError})` : ''}`,
      false,
    );
  }
  if (!snapshot.project) {
    throw new NoStackRedis(
      `the stack's compose file cannot be read${snapshot.projectError ? `: ${snapshot.projectError}` : ''}`,
      false,
    );
  }
  const container = snapshot.services.find((s) => s.ports.some((p) => p.containerPort === 6379));
  const redis = snapshot.redis;
  if (!container || container.state !== 'running' || !redis) {
    throw new NoStackRedis(
      `the ${snapshot.project.name} stack is not running${container ? ` (${container.service} is ${container.health ?? container.state})` : ''}; start it first`,
      true,
    );
  }
  const controller = await services.stack.controller();
  const docker = await services.stack.docker();
  // A cluster stack's addresses too: work that reaches every node (Verify Namespace Isolation) needs its natMap.
  let endpoint: RedisEndpoint = {
    host: redis.host,
    port: redis.port,
    db: 0,
    username: redis.username,
    tls: false,
    cluster: redis.cluster,
  };
  let password = redis.password;
  const session = services.session.endpoint;
  if (session.host === redis.host && session.port === redis.port) {
    const target = await services.session.target();
    endpoint = { ...target.endpoint, db: 0 };
    password = target.credentials.password;
  }
  return {
    docker,
    controller,
    project: snapshot.project,
    container,
    endpoint,
    password,
    connect: () => connectRedis(endpoint, { password }),
  };
}

/** The stack's Redis container when it exists but does not run: stopped, or failing to start. */
export interface StoppedStackRedis {
  readonly docker: Docker;
  readonly controller: StackController;
  readonly project: ComposeProject;
  readonly container: ServiceStatus;
  /** It exited with an error or restarts in a loop, rather than having been stopped. */
  readonly wouldNotStart: boolean;
}

/**
 * The stack's Redis container if it is there but not running (exited, created, or restarting
 * in a loop because Redis exits at once), else undefined. A container that does not run
 * publishes no ports: the service is the one whose compose definition publishes 6379.
 */
export async function stoppedStackRedis(
  services: ExtensionServices,
  snapshot: StackSnapshot,
): Promise<StoppedStackRedis | undefined> {
  const project = snapshot.project;
  if (snapshot.engine !== 'reachable' || !project) return undefined;
  const service = project.services.find((s) => s.ports.some((p) => p.target === 6379));
  const container = snapshot.services.find((s) => s.service === service?.name);
  if (!container || !['exited', 'created', 'restarting'].includes(container.state)) return undefined;
  return {
    docker: await services.stack.docker(),
    controller: await services.stack.controller(),
    project,
    container,
    wouldNotStart: container.state === 'restarting' || (container.exitCode ?? 0) !== 0,
  };
}

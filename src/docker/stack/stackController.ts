import type Docker from 'dockerode';
import { join } from 'node:path';
import { loadComposeProject } from '../compose/load';
import type { ComposeProject } from '../compose/model';
import { StackLocation, prepareBundledStack, syncDefaultUserAcl } from './location';
import { removeStack, removalPlan, RemovalPlan, restartStack, stopStack } from './lifecycle';
import { planStack } from './planStack';
import { projectStatus, ServiceStatus } from './status';
import { upStack, UpOptions, UpResult } from './up';

export interface StackSettings {
  readonly location: StackLocation;
  /** The extension's own `stack/` folder, the source of the bundled stack. */
  readonly bundledStackDir: string;
  readonly projectName?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
}

/** The Redis a running stack offers: loopback, its published port, the password from `.env`. */
export interface StackRedis {
  readonly host: string;
  readonly port: number;
  readonly password: string | undefined;
}

/**
 * The stack's operations over one engine. Starts are single-flight: a second start
 * while one runs waits for it instead of racing it.
 */
export class StackController {
  private starting: Promise<UpResult> | undefined;

  constructor(private readonly docker: Docker) {}

  /** Reads and checks the compose file; nothing on the engine changes. */
  async load(settings: StackSettings): Promise<ComposeProject> {
    if (settings.location.source === 'bundled') prepareBundledStack(settings.bundledStackDir, settings.location);
    return loadComposeProject(settings.location.composeFile, {
      ...(settings.env ? { env: settings.env } : {}),
      ...(settings.projectName ? { projectName: settings.projectName } : {}),
    });
  }

  start(settings: StackSettings, options: UpOptions = {}): Promise<UpResult> {
    this.starting ??= this.up(settings, options).finally(() => { this.starting = undefined; });
    return this.starting;
  }

  get isStarting(): boolean {
    return this.starting !== undefined;
  }

  private async up(settings: StackSettings, options: UpOptions): Promise<UpResult> {
    const project = await this.load(settings);
    const password = redisPassword(project, settings.env ?? process.env);
    const acl = join(project.workingDir, 'users.acl');
    if (password && project.services.some((s) => s.volumes.some((m) => m.type === 'bind' && m.source === acl))) {
      syncDefaultUserAcl(acl, password);
    }
    return upStack(this.docker, planStack(project), options);
  }

  async stop(project: ComposeProject): Promise<string[]> {
    return stopStack(this.docker, project.name, project.services.map((s) => s.name));
  }

  async restart(project: ComposeProject): Promise<string[]> {
    return restartStack(this.docker, project.name, project.services.map((s) => s.name));
  }

  removalPlan(projectName: string): Promise<RemovalPlan> {
    return removalPlan(this.docker, projectName);
  }

  remove(projectName: string, removeVolumes: boolean): Promise<RemovalPlan> {
    return removeStack(this.docker, projectName, removeVolumes);
  }

  status(projectName: string): Promise<ServiceStatus[]> {
    return projectStatus(this.docker, projectName);
  }
}

export function redisPassword(project: ComposeProject, env: NodeJS.ProcessEnv): string | undefined {
  return env['REDIS_PASSWORD'] || project.envFile.values['REDIS_PASSWORD'] || undefined;
}

/** Where the stack's Redis answers: the port its Redis service publishes for 6379. */
export function stackRedis(project: ComposeProject, statuses: readonly ServiceStatus[], env: NodeJS.ProcessEnv): StackRedis | undefined {
  for (const status of statuses) {
    if (status.state !== 'running') continue;
    const port = status.ports.find((p) => p.containerPort === 6379 && p.protocol === 'tcp');
    if (!port) continue;
    const host = !port.hostIp || port.hostIp === '0.0.0.0' ? '127.0.0.1' : port.hostIp === '::' ? '::1' : port.hostIp;
    return { host, port: port.hostPort, password: redisPassword(project, env) };
  }
  return undefined;
}

import Docker from 'dockerode';
import { dockerOptions, EngineCandidate, engineCandidates, EndpointEnvironment, processEnvironment } from './endpoint';

export interface EngineConnection {
  readonly docker: Docker;
  readonly endpoint: EngineCandidate;
  readonly version: string;
  readonly apiVersion: string;
}

export class EngineUnreachableError extends Error {
  override readonly name = 'EngineUnreachableError';

  constructor(readonly attempts: ReadonlyArray<{ endpoint: EngineCandidate; reason: string }>) {
    super(
      `No Docker engine answered. Tried ${attempts.map((a) => `${a.endpoint.url} (${a.endpoint.source}: ${a.reason})`).join('; ')}. ` +
        'Start Docker, or point the sharedRedis.dockerHost setting at your engine.',
    );
  }
}

/** Finds the engine the way `engineCandidates` orders them. */
export function connectEngine(
  setting: string | undefined,
  options: { timeoutMs?: number; environment?: EndpointEnvironment } = {},
): Promise<EngineConnection> {
  return probeEngines(engineCandidates(setting, options.environment ?? processEnvironment()), options.timeoutMs);
}

/**
 * How long an answer from an engine that accepted the request may take. The probe's few
 * seconds are for finding the engine; a loaded engine takes longer than that to start or
 * stop a container (docker-modem then destroys the request: "socket hang up").
 */
const ENGINE_REPLY_TIMEOUT_MS = 60_000;

/** Probes the candidates in order with `GET /_ping` and returns the first engine that answers. */
export async function probeEngines(candidates: readonly EngineCandidate[], timeout = 3000): Promise<EngineConnection> {
  const attempts: Array<{ endpoint: EngineCandidate; reason: string }> = [];
  for (const endpoint of candidates) {
    try {
      const probe = new Docker({ ...dockerOptions(endpoint), timeout });
      await probe.ping();
      const version = await probe.version();
      // The probe found it fast; a reply to an operation may take as long as the engine needs.
      const docker = new Docker({ ...dockerOptions(endpoint), timeout: Math.max(timeout, ENGINE_REPLY_TIMEOUT_MS) });
      return { docker, endpoint, version: version.Version, apiVersion: version.ApiVersion };
    } catch (error) {
      attempts.push({ endpoint, reason: describeEngineError(error) });
    }
  }
  throw new EngineUnreachableError(attempts);
}

function describeEngineError(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.message : String(error);
}

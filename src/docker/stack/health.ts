import type Docker from 'dockerode';
import { StackError } from './errors';
import { tailLogs } from './logs';

export interface WaitOptions {
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs?: number | undefined;
  readonly onState?: (state: string) => void;
  /**
   * The container's restart count when the wait began: 0 for one this caller just started (a
   * start resets it); by default the count the first look finds. Only restarts past it fail the
   * wait: a crash the restart policy recovered from before the wait is history, not a failure.
   */
  readonly restartsBefore?: number | undefined;
  /**
   * The start time of the last healthcheck probe logged before the caller unpaused the
   * container: the engine marks a paused container unhealthy and keeps saying so after the
   * unpause until its next probe, so the health it reports counts only once a newer probe is logged.
   */
  readonly staleProbe?: string | undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until the container is healthy (or, without a healthcheck, running). A container
 * that exits, restarts during the wait, or turns unhealthy fails with its last 20 log lines.
 */
export async function waitUntilReady(docker: Docker, containerId: string, service: string, healthcheck: boolean, options: WaitOptions = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  const container = docker.getContainer(containerId);
  let lastState = '';
  let restartsBefore = options.restartsBefore;
  for (;;) {
    if (options.signal?.aborted) throw new StackError('cancelled', `Starting ${service} was cancelled.`, service);
    const info = await container.inspect();
    restartsBefore ??= info.RestartCount;
    const state = info.State;
    const lastProbe = state.Health?.Log?.at(-1)?.Start;
    const health = options.staleProbe !== undefined && lastProbe === options.staleProbe ? 'starting' : state.Health?.Status;
    const now = healthcheck && health ? `${state.Status} · ${health}` : state.Status;
    if (now !== lastState) { lastState = now; options.onState?.(now); }

    // The engine counts a restart as it begins one ('restarting'): one already counted at the
    // first look is waited out; a new one means it crashed while we waited.
    if (state.Status === 'exited' || state.Status === 'dead' || info.RestartCount > restartsBefore) {
      const logs = await tailLogs(docker, containerId, 20).catch(() => []);
      const code = state.Status === 'exited' ? ` (exit code ${state.ExitCode})` : '';
      throw new StackError('container-exited', `${service} exited while starting${code}.`, service, logs);
    }
    if (state.Status === 'paused') {
      // Not a failure of its own: someone paused it (docker pause); say that, not its health.
      const name = info.Name.replace(/^\//, '');
      throw new StackError('paused', `${service} is paused; unpause it (docker unpause ${name}) or start the stack again, which unpauses it.`, service);
    }
    if (healthcheck && health === 'unhealthy') {
      const logs = await tailLogs(docker, containerId, 20).catch(() => []);
      const probe = state.Health?.Log?.at(-1)?.Output?.trim();
      throw new StackError('unhealthy', `${service} turned unhealthy${probe ? ` (its healthcheck said: ${probe})` : ''}.`, service, logs);
    }
    if (state.Status === 'running' && (!healthcheck || health === 'healthy' || health === undefined)) return;
    if (Date.now() > deadline) {
      const logs = await tailLogs(docker, containerId, 20).catch(() => []);
      throw new StackError('unhealthy', `${service} did not turn healthy within ${Math.round((options.timeoutMs ?? 120_000) / 1000)} s (it is ${now}).`, service, logs);
    }
    await sleep(200);
  }
}

/**
 * Waits until a run-once container (the cluster's init) has exited 0. Exiting with another
 * code fails with its last 20 log lines, which say why.
 */
export async function waitUntilCompleted(docker: Docker, containerId: string, service: string, options: WaitOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  const container = docker.getContainer(containerId);
  for (;;) {
    if (options.signal?.aborted) throw new StackError('cancelled', `Starting ${service} was cancelled.`, service);
    const { State: state } = await container.inspect();
    if (state.Status === 'exited' || state.Status === 'dead') {
      if (state.ExitCode === 0) return;
      const logs = await tailLogs(docker, containerId, 20).catch(() => []);
      throw new StackError('container-exited', `${service} failed (exit code ${state.ExitCode}).`, service, logs);
    }
    if (Date.now() > deadline) {
      const logs = await tailLogs(docker, containerId, 20).catch(() => []);
      throw new StackError('unhealthy', `${service} did not complete within ${Math.round(timeoutMs / 1000)} s (it is ${state.Status}).`, service, logs);
    }
    await sleep(500);
  }
}

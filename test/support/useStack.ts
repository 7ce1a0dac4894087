import type Docker from 'dockerode';
import { connectEngine } from '../../src/docker/engine';
import { requireEngine } from './engine';
import { freePort } from './redisServer';
import { clusterStackFixture, StackFixture, stackFixture } from './stackFixture';

/** The suite's stacks on the real engine, usable inside its tests and hooks. */
export interface UsedStack {
  /** The real Docker engine. */
  readonly docker: Docker;
  /** The suite's stack, made in its `before` hook (unless `suiteStack: false`). */
  readonly fixture: StackFixture;
  /** Another stack on a free port, with `.env` overrides, removed when the suite ends. */
  create(overrides?: Record<string, string>): Promise<StackFixture>;
  /** A cluster stack (six nodes on six free ports), removed when the suite ends. */
  createCluster(overrides?: Record<string, string>): Promise<StackFixture>;
}

export interface UseStackOptions {
  /** Make the suite's own stack in `before` (default true); false when each test makes its own. */
  readonly suiteStack?: boolean;
  /** `.env` values for the suite's stack. */
  readonly overrides?: Record<string, string>;
  /** The suite's stack is the cluster variant (six nodes). */
  readonly cluster?: boolean;
  /**
   * Without an engine, fail (true) instead of skipping the suite on a developer's machine
   * (false, the default; under CI=true a missing engine fails either way).
   */
  readonly required?: boolean;
}

/** The stacks' life in a suite, for helpers that add their own steps around it. */
export interface StackLifecycle {
  readonly stack: UsedStack;
  /** Reaches the engine and makes the suite's stack; false when the suite was skipped. */
  open(context: Mocha.Context): Promise<boolean>;
  /** Removes every stack it made, its containers, network and volumes (test data only). */
  close(): Promise<void>;
}

export function stackLifecycle(options: UseStackOptions = {}): StackLifecycle {
  let docker: Docker | undefined;
  let suiteFixture: StackFixture | undefined;
  const made: StackFixture[] = [];
  const engine = (): Docker => {
    if (!docker) throw new Error("useStack: the engine is there only inside the suite's tests and hooks");
    return docker;
  };
  const create = async (overrides: Record<string, string> = {}): Promise<StackFixture> => {
    engine();
    const fixture = stackFixture(await freePort(), overrides);
    made.push(fixture);
    return fixture;
  };
  const createCluster = async (overrides: Record<string, string> = {}): Promise<StackFixture> => {
    engine();
    const ports: number[] = [];
    while (ports.length < 6) {
      const port = await freePort();
      if (!ports.includes(port)) ports.push(port);
    }
    const fixture = clusterStackFixture(ports, overrides);
    made.push(fixture);
    return fixture;
  };
  const stack: UsedStack = {
    get docker() {
      return engine();
    },
    get fixture() {
      if (!suiteFixture) {
        throw new Error("useStack: the suite's stack is made in its before hook (suiteStack: false makes none)");
      }
      return suiteFixture;
    },
    create,
    createCluster,
  };
  return {
    stack,
    open: async (context) => {
      docker = options.required
        ? (await connectEngine(undefined, { timeoutMs: 3000 })).docker
        : (await requireEngine(context))?.docker;
      if (!docker) return false;
      if (options.suiteStack ?? true) {
        suiteFixture = await (options.cluster ? createCluster : create)(options.overrides);
      }
      return true;
    },
    close: async () => {
      for (const fixture of made.splice(0)) if (docker) await fixture.cleanup(docker);
      suiteFixture = undefined;
    },
  };
}

/**
 * A stack fixture on the real engine for the calling suite: the engine is reached (or the
 * suite skipped without one, see `required`) and the suite's stack made in `before`; every
 * stack it made is removed in `after`, volumes included.
 */
export function useStack(options: UseStackOptions = {}): UsedStack {
  const lifecycle = stackLifecycle(options);
  before(async function () {
    await lifecycle.open(this);
  });
  after(async function () {
    await lifecycle.close();
  });
  return lifecycle.stack;
}

import { connectEngine, EngineConnection } from '../../src/docker/engine';

/**
 * The real Docker engine for a suite. Without one, the suite is skipped with a clear
 * message on a developer's machine, but under CI=true a missing engine is a failure.
 */
export async function requireEngine(context: Mocha.Context): Promise<EngineConnection | undefined> {
  try {
    return await connectEngine(undefined, { timeoutMs: 2000 });
  } catch (error) {
    if (process.env['CI'] === 'true') throw error;
    console.warn(
      `    Skipping: no Docker engine is reachable (${error instanceof Error ? error.message : String(error)}). Run "npm run setup" or start Docker.`,
    );
    context.skip();
    return undefined;
  }
}

import * as vscode from 'vscode';
import type { StackFixture } from './stackFixture';
import { stackLifecycle, UsedStack } from './useStack';

export interface UseWorkspaceStackOptions {
  /** More `sharedRedis.*` workspace settings for the suite (undefined removes one), restored after. */
  readonly settings?: Record<string, unknown>;
  /** Settings the suite's tests change themselves: their workspace values are restored after. */
  readonly restore?: readonly string[];
  /** The suite's stack is the cluster variant (six nodes). */
  readonly cluster?: boolean;
  /** Changes the suite's stack files before the settings point the extension at them. */
  readonly prepare?: (fixture: StackFixture) => void;
}

/**
 * For an integration suite inside VS Code: the suite's stack on the real engine (its
 * absence fails the suite), with the workspace's `sharedRedis.composeFile` and
 * `projectName` pointing at it. After the suite, the stack is removed (volumes included:
 * test data only) and every setting it touched gets its workspace value back.
 */
export function useWorkspaceStack(options: UseWorkspaceStackOptions = {}): UsedStack {
  const lifecycle = stackLifecycle({ required: true, cluster: options.cluster ?? false });
  const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('sharedRedis');
  const saved = new Map<string, unknown>();

  before(async function () {
    await lifecycle.open(this);
    const { fixture } = lifecycle.stack;
    options.prepare?.(fixture);
    const settings: Record<string, unknown> = {
      composeFile: fixture.composeFile,
      projectName: fixture.project,
      ...options.settings,
    };
    for (const key of [...Object.keys(settings), ...(options.restore ?? [])]) {
      saved.set(key, config().inspect(key)?.workspaceValue);
    }
    for (const [key, value] of Object.entries(settings)) {
      await config().update(key, value, vscode.ConfigurationTarget.Workspace);
    }
  });
  after(async function () {
    await lifecycle.close();
    for (const [key, value] of saved) await config().update(key, value, vscode.ConfigurationTarget.Workspace);
    saved.clear();
  });

  return lifecycle.stack;
}

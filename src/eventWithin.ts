import type * as vscode from 'vscode';

/**
 * Resolves when `event` fires with a value `holds` accepts, or after `timeoutMs`, whichever
 * comes first: for waiting on the workbench (an editor showing new text, a view's first rows)
 * without ever hanging on it.
 */
export function eventWithin<T>(event: vscode.Event<T>, holds: (value: T) => boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      listener.dispose();
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    const listener = event((value) => {
      if (holds(value)) done();
    });
  });
}

import * as vscode from 'vscode';

/** How long a step may take before its progress notification shows. */
export const LATE_PROGRESS_DELAY_MS = 500;

/**
 * Runs `task` and shows a cancellable progress notification only if it is still running
 * after `delayMs`. A count that ends in milliseconds then never flashes a toast: the
 * workbench shows at most three toasts in 800 ms, and a flash can push the message that
 * follows (a confirmation, the result) into the notification centre.
 */
export async function withLateProgress<T>(
  title: string,
  task: (report: (message: string) => void, signal: AbortSignal) => Promise<T>,
  delayMs = LATE_PROGRESS_DELAY_MS,
): Promise<T> {
  const abort = new AbortController();
  let lastMessage: string | undefined;
  let show: ((message: string) => void) | undefined;
  const work = task((message) => {
    lastMessage = message;
    show?.(message);
  }, abort.signal);
  const timer = setTimeout(() => {
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      (progress, token) => {
        token.onCancellationRequested(() => abort.abort());
        show = (message) => progress.report({ message });
        if (lastMessage !== undefined) show(lastMessage);
        return work.then(
          () => undefined,
          () => undefined,
        );
      },
    );
  }, delayMs);
  try {
    return await work;
  } finally {
    clearTimeout(timer);
  }
}

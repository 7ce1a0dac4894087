import type { Page } from 'playwright-core';

/** What run.ts sets up for the e2e tests: one browser page and the workbench to open in it. */
export interface E2eContext {
  readonly page: Page;
  /** The workbench URL, with this extension loaded and a workspace pointing at the test redis-server. */
  readonly workbenchUrl: string;
  /** Where screenshots go (test-results/). */
  readonly screenshotsDir: string;
  readonly redisPort: number;
  /** The workspace folder; its .vscode/settings.json is what the user's settings say. */
  readonly workspaceFolder: string;
  /** Host port the bundled stack's Redis is published on when the test starts it. */
  readonly stackPort: number;
  /** code-server's user-data dir (its logs: the extension's log channel). */
  readonly userDataDir: string;
  /** The workbench URL for another workspace folder, with this extension loaded. */
  workbenchUrlFor(folder: string): string;
}

let current: E2eContext | undefined;

export function setE2eContext(context: E2eContext): void {
  current = context;
}

export function e2e(): E2eContext {
  if (!current) throw new Error('No e2e context: run the e2e tests with `node out/test/e2e/run.js`.');
  return current;
}

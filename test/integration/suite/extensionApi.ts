import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { SharedRedisApi } from '../../../src/extension';

export const EXTENSION_ID = 'shared-redis-dev.shared-redis';

/** The extension's services, as activate() returns them (activating it if needed). */
export async function api(): Promise<SharedRedisApi> {
  const extension = vscode.extensions.getExtension<SharedRedisApi>(EXTENSION_ID);
  assert.ok(extension, `the extension ${EXTENSION_ID} is installed`);
  return extension.activate();
}

/** Polls `check` until it holds; fails naming `what` after `timeoutMs`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

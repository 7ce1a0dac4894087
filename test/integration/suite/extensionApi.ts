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

export { eventually } from '../../support/eventually';

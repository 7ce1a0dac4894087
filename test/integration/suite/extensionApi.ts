import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { SharedRedisApi } from '../../../src/extension';
import type { SharedRedisInternals } from '../../../src/secondStage';

export const EXTENSION_ID = 'shared-redis-dev.shared-redis';

/** The public API activate() returns (activating the extension if needed). */
export async function publicApi(): Promise<SharedRedisApi> {
  const extension = vscode.extensions.getExtension<SharedRedisApi>(EXTENSION_ID);
  assert.ok(extension, `the extension ${EXTENSION_ID} is installed`);
  return extension.activate();
}

/** The extension's services and views: reachable only because the tests run under ExtensionMode.Test. */
export async function api(): Promise<SharedRedisInternals> {
  const exported = await publicApi();
  assert.ok(exported.testing, 'the extension hands out its internals under ExtensionMode.Test');
  return exported.testing();
}

export { eventually, steady } from '../../support/eventually';

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { SuiteConfig, TEST_CONFIG_FILE } from '../../support/codeServer';

let cached: SuiteConfig | undefined;

/**
 * What the launcher set up for this run. The extension host's environment does not
 * reliably come from the launcher (code-server starts it), so the launcher writes this
 * JSON into the root of the workspace folder; SHARED_REDIS_TEST_CONFIG names the file
 * explicitly when set.
 */
export function suiteConfig(): SuiteConfig {
  if (cached) return cached;
  const candidates = [
    process.env['SHARED_REDIS_TEST_CONFIG'],
    ...(vscode.workspace.workspaceFolders ?? []).map((folder) => join(folder.uri.fsPath, TEST_CONFIG_FILE)),
  ].filter((file): file is string => typeof file === 'string' && file.length > 0);
  const file = candidates.find((candidate) => existsSync(candidate));
  if (!file) {
    throw new Error(
      `No ${TEST_CONFIG_FILE} found (looked at: ${candidates.join(', ') || 'no workspace folder open'}). Start the suite with out/test/integration/runCodeServer.js.`,
    );
  }
  cached = JSON.parse(readFileSync(file, 'utf8')) as SuiteConfig;
  return cached;
}

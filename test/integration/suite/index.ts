import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';
import { repoRoot, SUITE_OUTPUT_MARKER, writeLauncherFailure } from '../../support/codeServer';
import ResultsReporter from '../../support/resultsReporter';
import { suiteConfig } from './config';

/**
 * Entry point the extension host calls (`extensionTestsPath`), for code-server and for
 * @vscode/test-electron alike. Runs every *.test.js next to this file with the
 * ResultsReporter, which writes the counts to the file the launcher waits for. The
 * launcher reads that file, not the host's exit code.
 */
export async function run(): Promise<void> {
  let output = join(repoRoot(__dirname), 'test-results', 'integration.json');
  try {
    output = suiteConfig().results;
    // The spec reporter's lines reach the launcher through the browser console: mark them.
    Mocha.reporters.Base.consoleLog = (...args: unknown[]) => {
      for (const line of format(...args).split('\n')) console.log(`${SUITE_OUTPUT_MARKER} ${line}`);
    };
    const mocha = new Mocha({
      ui: 'bdd',
      reporter: ResultsReporter,
      reporterOptions: { output },
      // A hang guard, not a speed target: a throttled CI machine took 15-50 s for tests that
      // take 1-5 s here.
      timeout: 90_000,
      color: false,
      // SHARED_REDIS_SUITE_GREP (a regular expression on test titles) runs some tests of a file.
      ...(process.env['SHARED_REDIS_SUITE_GREP'] ? { grep: new RegExp(process.env['SHARED_REDIS_SUITE_GREP']) } : {}),
    });
    // SHARED_REDIS_SUITE_FILES (a regular expression on file names) runs a subset while working on one area.
    const only = process.env['SHARED_REDIS_SUITE_FILES'];
    const selected = (name: string): boolean => name.endsWith('.test.js') && (!only || new RegExp(only).test(name));
    for (const file of readdirSync(__dirname).filter(selected).sort()) {
      mocha.addFile(join(__dirname, file));
    }
    const failures = await new Promise<number>((resolve) => mocha.run(resolve));
    if (failures > 0) throw new Error(`${failures} integration test(s) failed`);
  } catch (error) {
    // Loading the suite failed before mocha could report: say so in the results file.
    if (!(error instanceof Error && /integration test\(s\) failed$/.test(error.message))) {
      writeLauncherFailure(output, 'integration', error instanceof Error ? (error.stack ?? error.message) : error);
    }
    throw error;
  }
}

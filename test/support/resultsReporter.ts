import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import * as Mocha from 'mocha';
import type { LevelResults } from './levelResults';

/**
 * Mocha's spec output plus a JSON file of counts (path in SHARED_REDIS_RESULTS or the
 * reporter option `output`). The file is written only when the run ends, so a
 * missing file means the run never finished.
 */
class ResultsReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options: Mocha.MochaOptions & { reporterOptions?: { output?: string } }) {
    super(runner, options);
    const output = options.reporterOptions?.output ?? process.env['SHARED_REDIS_RESULTS'];
    const failures: LevelResults['failures'] = [];
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test, error: Error) => {
      failures.push({ title: test.fullTitle(), error: error.stack ?? error.message });
    });
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      if (!output) return;
      const stats = runner.stats;
      const results: LevelResults = {
        passed: stats?.passes ?? 0,
        failed: stats?.failures ?? failures.length,
        skipped: stats?.pending ?? 0,
        failures,
      };
      mkdirSync(dirname(output), { recursive: true });
      writeFileSync(output, JSON.stringify(results, null, 2));
    });
  }
}

export = ResultsReporter;

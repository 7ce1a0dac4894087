/** What every test level writes for scripts/test-all.mjs to add up. */
export interface LevelResults {
  passed: number;
  failed: number;
  skipped: number;
  failures: Array<{ title: string; error: string }>;
}

/**
 * Loads a built bundle (argv[2]; argv[3]: its shipped code cache) the way the first stage does
 * (src/codeCache.ts) in a plain Node process, and prints as JSON what its load did that costs
 * the extension host time (how many locale-aware formatters it made), how long it took, and
 * which cache V8 used. `node out/test/support/loadBundle.js dist/secondStage.js dist/secondStage.cache`. `vscode` is the stand-in of scripts/vscodeStandIn.cjs (the
 * real API exists only in an extension host; the integration level loads the same bundle in
 * code-server).
 */
import { join } from 'node:path';
import { requireWithCodeCache } from '../../src/codeCache';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { installVscodeStandIn } = require(join(__dirname, '..', '..', '..', 'scripts', 'vscodeStandIn.cjs')) as {
  installVscodeStandIn: () => void;
};

/** Counts every use of ICU's formatters and collators (the first of them loads ICU's data). */
function countLocaleWork(): { count: number; what: Set<string> } {
  const seen = { count: 0, what: new Set<string>() };
  const note = (what: string) => {
    seen.count++;
    seen.what.add(what);
  };
  for (const name of [
    'NumberFormat',
    'DateTimeFormat',
    'Collator',
    'PluralRules',
    'RelativeTimeFormat',
    'ListFormat',
    'Segmenter',
  ] as const) {
    const Original = Intl[name] as unknown as new (...args: unknown[]) => object;
    (Intl as unknown as Record<string, unknown>)[name] = new Proxy(Original, {
      construct: (target, args) => (note(`Intl.${name}`), new target(...(args as unknown[]))),
      apply: (target, self, args) => (note(`Intl.${name}`), Reflect.apply(target, self, args)),
    });
  }
  const wrap = (owner: object, method: string, what: string) => {
    const original = (owner as Record<string, (...args: unknown[]) => unknown>)[method] as (
      ...args: unknown[]
    ) => unknown;
    (owner as Record<string, unknown>)[method] = function (this: unknown, ...args: unknown[]) {
      note(what);
      return original.apply(this, args);
    };
  };
  wrap(Number.prototype, 'toLocaleString', 'Number#toLocaleString');
  wrap(Date.prototype, 'toLocaleString', 'Date#toLocaleString');
  wrap(Date.prototype, 'toLocaleDateString', 'Date#toLocaleDateString');
  wrap(Date.prototype, 'toLocaleTimeString', 'Date#toLocaleTimeString');
  wrap(String.prototype, 'localeCompare', 'String#localeCompare');
  return seen;
}

const [bundle, shippedCache] = process.argv.slice(2);
if (!bundle) throw new Error('usage: node loadBundle.js <bundle.js> [<its code cache>]');
installVscodeStandIn();
const localeWork = countLocaleWork();
const started = performance.now();
const { cache } = requireWithCodeCache(bundle, shippedCache ? { shipped: shippedCache } : {});
const loadMs = performance.now() - started;
process.stdout.write(JSON.stringify({ localeWork: localeWork.count, what: [...localeWork.what], loadMs, cache }));

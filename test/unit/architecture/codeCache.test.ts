import * as assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { cacheFile, requireWithCodeCache } from '../../../src/codeCache';

describe('loading the second stage with a V8 code cache', () => {
  let dir: string;
  let bundle: string;
  const source = [
    "const { join } = require('node:path');",
    'exports.where = () => join(__dirname, "here");',
    'exports.sum = (a, b) => a + b;',
    'module.exports.self = module.exports;',
    '',
  ].join('\n');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'shared-redis-code-cache-'));
    bundle = join(dir, 'bundle.js');
    writeFileSync(bundle, source);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const exportsOf = (load: { exports: unknown }) =>
    load.exports as { where: () => string; sum: (a: number, b: number) => number; self: unknown };

  it('loads a CommonJS file as require would (its require, module, __dirname) when there is no cache', () => {
    const load = requireWithCodeCache(bundle, { stored: join(dir, 'stored.bin'), shipped: join(dir, 'none.cache') });
    assert.equal(load.cache, 'none');
    const loaded = exportsOf(load);
    assert.equal(loaded.where(), join(dir, 'here'));
    assert.equal(loaded.sum(2, 3), 5);
    assert.equal(loaded.self, load.exports);
  });

  it('stores the compiled code, and the next load uses it', () => {
    const stored = join(dir, 'cache', 'stored.bin');
    assert.equal(requireWithCodeCache(bundle, { stored }).store(), true);
    const again = requireWithCodeCache(bundle, { stored });
    assert.equal(again.cache, 'stored');
    assert.equal(exportsOf(again).sum(4, 5), 9);
  });

  it('uses the cache shipped with the bundle when none is stored', () => {
    const shipped = join(dir, 'bundle.cache');
    writeFileSync(shipped, cacheFile(source, new Script(Module.wrap(source), { filename: bundle }).createCachedData()));
    const load = requireWithCodeCache(bundle, { stored: join(dir, 'stored.bin'), shipped });
    assert.equal(load.cache, 'shipped');
    assert.equal(exportsOf(load).sum(1, 1), 2);
  });

  it("ignores a cache made for another source of the same length, and runs the file's own code", () => {
    const stored = join(dir, 'stored.bin');
    assert.equal(requireWithCodeCache(bundle, { stored }).store(), true);
    // Same length, other code: V8 alone (it compares lengths) could run the old code.
    writeFileSync(bundle, source.replace('a + b', 'a * b'));
    const load = requireWithCodeCache(bundle, { stored });
    assert.equal(load.cache, 'none');
    assert.equal(exportsOf(load).sum(4, 5), 20);
  });

  it('compiles as usual when V8 refuses the cache (another V8, or damaged data)', () => {
    const stored = join(dir, 'stored.bin');
    writeFileSync(stored, cacheFile(source, Buffer.from('not a V8 code cache at all')));
    const load = requireWithCodeCache(bundle, { stored });
    assert.equal(load.cache, 'rejected');
    assert.equal(exportsOf(load).sum(2, 2), 4);
    // And the next store replaces it with one V8 takes.
    assert.equal(load.store(), true);
    assert.equal(requireWithCodeCache(bundle, { stored }).cache, 'stored');
    assert.ok(readFileSync(stored).length > 40);
  });

  it('reads a file with non-ASCII text as UTF-8, and its stored cache is used the next time', () => {
    // The built bundle is ASCII and read as Latin-1 (esbuild.mjs); any other file must still load as Node would.
    writeFileSync(bundle, `${source}exports.text = 'µs ≥ 1 😀';\n`);
    const stored = join(dir, 'stored.bin');
    const load = requireWithCodeCache(bundle, { stored });
    assert.equal((load.exports as { text: string }).text, 'µs ≥ 1 😀');
    assert.equal(load.store(), true);
    const again = requireWithCodeCache(bundle, { stored });
    assert.equal(again.cache, 'stored');
    assert.equal((again.exports as { text: string }).text, 'µs ≥ 1 😀');
  });

  it('says so when it cannot store (a file where its folder should be), and leaves nothing behind', () => {
    writeFileSync(join(dir, 'blocked'), 'a file, not a folder');
    const load = requireWithCodeCache(bundle, { stored: join(dir, 'blocked', 'stored.bin') });
    assert.equal(load.store(), false);
    assert.equal(requireWithCodeCache(bundle, { stored: join(dir, 'blocked', 'stored.bin') }).cache, 'none');
  });

  // Under umask 000 the cache was made 0777/0666: another user of the machine could write code
  // the extension host then runs (V8 checks only a length and a checksum of the source).
  it('stores the cache writable by its owner only, even under umask 000', () => {
    const stored = join(dir, 'code-cache', 'stored.bin');
    const umask = process.umask(0);
    try {
      assert.equal(requireWithCodeCache(bundle, { stored }).store(), true);
    } finally {
      process.umask(umask);
    }
    assert.equal(statSync(join(dir, 'code-cache')).mode & 0o077, 0, "the folder is its owner's only");
    assert.equal(statSync(stored).mode & 0o077, 0, "the file is its owner's only");
  });

  it('does not use a stored cache that others may write to', () => {
    const stored = join(dir, 'stored.bin');
    assert.equal(requireWithCodeCache(bundle, { stored }).store(), true);
    chmodSync(stored, 0o666);
    const load = requireWithCodeCache(bundle, { stored });
    assert.equal(load.cache, 'none');
    assert.equal(exportsOf(load).sum(2, 2), 4);
  });
});

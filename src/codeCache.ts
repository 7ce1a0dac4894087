import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

/**
 * Loading a CommonJS bundle with a V8 code cache: the compiled code of an earlier load, so V8
 * skips parsing and compiling what the cache holds (about a third of the second stage's load
 * on the extension host). Node 20, which the extension host runs, has no compile cache of its
 * own for required files (module.enableCompileCache came with Node 22.1).
 *
 * A cache file is the source's SHA-1 (40 hex characters) and then V8's data. It is used only
 * when the SHA-1 matches the file being loaded (V8 itself compares no more than the source's
 * length) and V8 accepts it (same V8 version and flags); otherwise the bundle compiles as
 * usual. Where it was looked for: `stored` (written by an earlier load in this V8), then
 * `shipped` (made when the bundle was built).
 */
export interface CachedLoad {
  readonly exports: unknown;
  /** Which cache V8 used, or why none. */
  readonly cache: 'stored' | 'shipped' | 'rejected' | 'none';
  /** Writes what V8 has compiled by now to `stored`, for the next load; false when it could not. */
  store(): boolean;
}

const HASH_LENGTH = 40;

/** The cache file's contents for `source`: the SHA-1 of its UTF-8 bytes (the file's), then V8's data. */
export function cacheFile(source: string | Buffer, data: Buffer): Buffer {
  return withHash(createHash('sha1').update(source).digest('hex'), data);
}

function withHash(hash: string, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(hash, 'latin1'), data]);
}

/** V8's data in `file` when it was made for the source with this hash; else undefined. */
function readCache(file: string | undefined, hash: string, ownOnly = false): Buffer | undefined {
  if (!file) return undefined;
  let contents: Buffer;
  try {
    // The stored cache is compiled code the extension host runs: one another user wrote, or
    // may write (made under umask 000 by an earlier version), is not used.
    if (ownOnly) {
      const stat = statSync(file);
      if ((stat.mode & 0o022) !== 0 || (process.getuid !== undefined && stat.uid !== process.getuid())) {
        return undefined;
      }
    }
    contents = readFileSync(file);
  } catch {
    return undefined;
  }
  if (contents.length <= HASH_LENGTH || contents.toString('latin1', 0, HASH_LENGTH) !== hash) return undefined;
  return contents.subarray(HASH_LENGTH);
}

/**
 * Requires the CommonJS file `file` as Node would (its own `require`, `module`, `__dirname`),
 * compiled with the first usable cache of `stored` and `shipped`.
 */
export function requireWithCodeCache(file: string, caches: { stored?: string; shipped?: string }): CachedLoad {
  const bytes = readFileSync(file);
  const hash = createHash('sha1').update(bytes).digest('hex');
  // The bundle is ASCII (esbuild.mjs): taken as Latin-1, each byte becomes one character of a
  // one-byte string, without UTF-8 decoding (21-28 ms of the load in the extension host otherwise).
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  const candidates = [
    ['stored', readCache(caches.stored, hash, true)],
    ['shipped', readCache(caches.shipped, hash)],
  ] as const;
  const found = candidates.find(([, data]) => data !== undefined);
  const script = new Script(Module.wrap(source), {
    filename: file,
    ...(found?.[1] ? { cachedData: found[1] } : {}),
  });
  const cache = !found ? 'none' : script.cachedDataRejected ? 'rejected' : found[0];
  const wrapper = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: { exports: unknown },
    filename: string,
    dirname: string,
  ) => void;
  const module = { exports: {} as unknown };
  wrapper.call(module.exports, module.exports, Module.createRequire(file), module, file, dirname(file));
  return {
    exports: module.exports,
    cache,
    store: () => {
      const target = caches.stored;
      if (!target) return false;
      // Written aside and renamed: a window loading meanwhile reads the old file or the new one, never half.
      const partial = join(dirname(target), `.${process.pid}.${Date.now()}.partial`);
      try {
        // The owner's only, whatever the umask (see readCache).
        mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
        writeFileSync(partial, withHash(hash, script.createCachedData()), { mode: 0o600 });
        renameSync(partial, target);
        return true;
      } catch {
        try {
          rmSync(partial, { force: true });
        } catch {
          // No folder to write into: nothing was left behind either.
        }
        return false;
      }
    },
  };
}

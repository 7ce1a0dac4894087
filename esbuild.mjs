// Bundles the extension into two CommonJS files: dist/extension.js, the first stage
// (registers the commands and tree views, reads the settings, logs, lists the Keys view's first
// rows before the rest loads; 26 KiB as packaged), and
// dist/secondStage.js (the engine client, the Redis client, yaml, the views), which the first
// loads (src/codeCache.ts) on the first view, command or API use, with dist/secondStage.cache:
// V8's code cache of it, made here.
// `vscode` is provided by the host; ssh2's optional native pieces (cpu-features, *.node) are required inside try/catch
// and ssh2 works without them, so they are left out rather than bundled.
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import { Script } from 'node:vm';
import { parse } from 'acorn';

// A character that is not ASCII (see escapeNonAscii).
// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

const { installVscodeStandIn } = Module.createRequire(import.meta.url)('./scripts/vscodeStandIn.cjs');

// dockerode loads its BuildKit session code (gRPC + protobuf, about 1 MB) at the top
// of docker.js, but only `buildImage` with BuildKit uses it, and we never build images.
// Swap it for a module that says so if it is ever reached.
const withoutBuildkitSession = {
  name: 'without-buildkit-session',
  setup(build) {
    build.onResolve({ filter: /^\.\/session$/ }, (args) =>
      /dockerode[\\/]lib$/.test(args.resolveDir) ? { path: 'dockerode-session', namespace: 'stub' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents:
        'module.exports = function withSession(_docker, _auth, done) { done(new Error("BuildKit sessions are not part of this bundle.")); };',
      loader: 'js',
    }));
  },
};

// docker-modem requires its SSH transport (ssh2 with its ciphers, about 280 KiB) at the
// top of modem.js, so loading the engine client ran all of ssh2 although only an
// `ssh://` DOCKER_HOST uses it. Require it when such a connection is made instead.
const sshOnDemand = {
  name: 'ssh-on-demand',
  setup(build) {
    build.onResolve({ filter: /^\.\/ssh$/ }, (args) =>
      /docker-modem[\\/]lib$/.test(args.resolveDir)
        ? { path: path.join(args.resolveDir, 'ssh.js'), namespace: 'ssh-on-demand' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'ssh-on-demand' }, (args) => ({
      contents: `module.exports = function sshAgent(options) { return require(${JSON.stringify(args.path)})(options); };`,
      resolveDir: path.dirname(args.path),
      loader: 'js',
    }));
  },
};

// esbuild gives each module's `import * as vscode from 'vscode'` its own copy of the API
// object (__toESM: a getter for each of its ~400 members). The second stage made 63 copies
// as it loaded: about 60 ms, nearly a third of its load in code-server (docs/benchmarks.md).
// Every import of 'vscode' resolves to one module that re-exports it: one copy.
const oneVscodeNamespace = {
  name: 'one-vscode-namespace',
  setup(build) {
    build.onResolve({ filter: /^vscode$/ }, (args) =>
      args.namespace === 'vscode-api'
        ? { path: 'vscode', external: true }
        : { path: 'vscode', namespace: 'vscode-api' },
    );
    build.onLoad({ filter: /.*/, namespace: 'vscode-api' }, () => ({
      contents: "export * from 'vscode';",
      loader: 'js',
    }));
  },
};

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const options = {
  entryPoints: { extension: 'src/extension.ts', secondStage: 'src/secondStage.ts' },
  bundle: true,
  outdir: 'dist',
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['vscode', 'cpu-features', '*.node'],
  minify: production,
  // Error classes name themselves from constructor.name (redis-errors: ReplyError); when the
  // bundle renames a clashing class (ReplyError -> ReplyError2), every `error.name ===
  // 'ReplyError'` check would silently fail. keepNames keeps the source names.
  keepNames: true,
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
  metafile: true,
  // import() becomes require(): src/codeCache.ts runs the bundle as a vm.Script, which has no
  // hook for dynamic import, and the extension host resolves `vscode` for required modules.
  supported: { 'dynamic-import': false },
  plugins: [withoutBuildkitSession, sshOnDemand, oneVscodeNamespace],
};

if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  const result = await esbuild.build(options);
  for (const bundle of ['dist/extension.js', 'dist/secondStage.js']) escapeNonAscii(bundle);
  writeCodeCache('dist/secondStage.js', 'dist/secondStage.cache');
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    if (output.entryPoint)
      console.log(`${file}: ${(output.bytes / 1024).toFixed(0)} KiB${production ? ' (minified)' : ''}`);
  }
}

/**
 * Makes a bundle ASCII only. One non-ASCII character makes V8 hold the whole source two bytes
 * per character, and the extension host decode it on every load: 21-28 ms of the second
 * stage's load in code-server, against ~7 for ASCII (src/codeCache.ts reads it as bytes).
 * esbuild's default `charset: 'ascii'` escapes strings and names, but keeps the comments it
 * preserves (JSDoc in class bodies, in unminified builds) and the text of regular expressions
 * and tagged templates as written. In comments (found by acorn, a JavaScript parser) a
 * `\uXXXX` per UTF-16 unit is only text; anywhere else it could change what the code does
 * (String.raw, a regex's source), so the build stops and names the place to escape by hand.
 */
function escapeNonAscii(bundle) {
  const source = readFileSync(bundle, 'utf8');
  if (!NON_ASCII.test(source)) return;
  const comments = [];
  parse(source, { ecmaVersion: 'latest', sourceType: 'script', allowHashBang: true, onComment: comments });
  let escaped = '';
  let from = 0;
  for (const { start, end } of comments) {
    escaped += source.slice(from, start);
    escaped += source
      .slice(start, end)
      .replace(new RegExp(NON_ASCII.source, 'g'), (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);
    from = end;
  }
  escaped += source.slice(from);
  const left = NON_ASCII.exec(escaped);
  if (left) {
    const line = escaped.slice(0, left.index).split('\n').length;
    const text = escaped.split('\n')[line - 1]?.trim().slice(0, 120);
    throw new Error(
      `${bundle}:${line}: the non-ASCII character '${left[0]}' is in code, not a comment (${text}). Write it as \\u${left[0].charCodeAt(0).toString(16).padStart(4, '0')} in the source: the bundle must stay ASCII.`,
    );
  }
  writeFileSync(bundle, escaped);
}

/**
 * V8's code cache of a bundle, in the format src/codeCache.ts reads: the source's SHA-1, then
 * V8's data. Made after the bundle's top level has run once (with scripts/vscodeStandIn.cjs
 * for `vscode`), as the extension host's own stored cache is: it then holds the module bodies
 * the load runs, which V8 otherwise compiles lazily on every first load (about 9 ms of ~115 in
 * a bare Node process). Only a V8 like this Node's accepts it (code-server's extension host
 * runs this Node); others compile as usual and keep a cache of their own.
 */
function writeCodeCache(bundle, cache) {
  const file = path.resolve(bundle);
  const source = readFileSync(file, 'utf8');
  const script = new Script(Module.wrap(source), { filename: file });
  installVscodeStandIn();
  const module = { exports: {} };
  script
    .runInThisContext()
    .call(module.exports, module.exports, Module.createRequire(file), module, file, path.dirname(file));
  const data = script.createCachedData();
  const hash = createHash('sha1').update(source).digest('hex');
  writeFileSync(cache, Buffer.concat([Buffer.from(hash, 'latin1'), data]));
  console.log(`${cache}: ${(data.length / 1024).toFixed(0)} KiB (V8 ${process.versions.v8})`);
}

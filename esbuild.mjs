// Bundles the extension into two CommonJS files: dist/extension.js, the first stage
// (registers the commands, logs; a few KiB), and dist/secondStage.js (the engine client,
// the Redis client, yaml, the views), which the first loads with import() on the first
// view or command. `vscode` is provided by the host;
// ssh2's optional native pieces (cpu-features, *.node) are required inside try/catch
// and ssh2 works without them, so they are left out rather than bundled.
import * as esbuild from 'esbuild';

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

// The first stage's `import('./secondStage')` stays a require of the second bundle, next to it.
const secondStageApart = {
  name: 'second-stage-apart',
  setup(build) {
    build.onResolve({ filter: /^\.\/secondStage$/ }, (args) =>
      /[\\/]src[\\/]extension\.ts$/.test(args.importer) ? { path: './secondStage.js', external: true } : undefined,
    );
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
  // import() becomes require(): the extension host resolves `vscode` for required modules.
  supported: { 'dynamic-import': false },
  plugins: [withoutBuildkitSession, secondStageApart],
};

if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  const result = await esbuild.build(options);
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    if (output.entryPoint)
      console.log(`${file}: ${(output.bytes / 1024).toFixed(0)} KiB${production ? ' (minified)' : ''}`);
  }
}

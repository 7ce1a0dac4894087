// Bundles the extension into one CommonJS file. `vscode` is provided by the host;
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
      /dockerode[\\/]lib$/.test(args.resolveDir) ? { path: 'dockerode-session', namespace: 'stub' } : undefined);
    build.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: 'module.exports = function withSession(_docker, _auth, done) { done(new Error("BuildKit sessions are not part of this bundle.")); };',
      loader: 'js',
    }));
  },
};

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const options = {
  entryPoints: ['src/extension.ts'],
  bundle: true,
  outfile: 'dist/extension.js',
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['vscode', 'cpu-features', '*.node'],
  minify: production,
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
  metafile: true,
  plugins: [withoutBuildkitSession],
};

if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  const result = await esbuild.build(options);
  const bytes = Object.values(result.metafile.outputs).find((o) => o.entryPoint)?.bytes ?? 0;
  console.log(`dist/extension.js: ${(bytes / 1024).toFixed(0)} KiB${production ? ' (minified)' : ''}`);
}

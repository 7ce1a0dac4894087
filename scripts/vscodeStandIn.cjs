// A stand-in for the `vscode` module, for running a built bundle's top level outside an
// extension host: at build time (esbuild.mjs runs the second stage once, so its code cache
// holds what the load compiles) and in the unit test of the bundle. The real API exists only
// in an extension host; the load only builds icons, colours and emitters at the top level, so
// every export of @types/vscode is a function that can be constructed, called and read from,
// and does nothing.
'use strict';
const { readFileSync } = require('node:fs');
const Module = require('node:module');

const inert = {
  get: (target, key) =>
    key === '__esModule' || typeof key === 'symbol'
      ? undefined
      : (target[key] ??= new Proxy(function inertMember() {}, inert)),
  construct: () => new Proxy(function inertInstance() {}, inert),
  apply: () => new Proxy(function inertResult() {}, inert),
};

/** `require('vscode')` returns the stand-in in this process from now on. */
function installVscodeStandIn() {
  if (require.cache['vscode']) return;
  const declarations = readFileSync(require.resolve('@types/vscode/index.d.ts'), 'utf8');
  const api = {};
  for (const [, name] of declarations.matchAll(/^\texport (?:class|enum|namespace|function|const|let|var) (\w+)/gm)) {
    api[name] = new Proxy(function inertExport() {}, inert);
  }
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    return request === 'vscode' ? 'vscode' : resolve.call(this, request, ...rest);
  };
  require.cache['vscode'] = { id: 'vscode', filename: 'vscode', loaded: true, exports: api };
}

module.exports = { installVscodeStandIn };

#!/usr/bin/env bash
# Installs the code-server test harness (the real VS Code 1.100 workbench and extension
# host, runnable offline) into test/harness/node_modules. Quick when it already is.
#
# Needs: Node 20, Debian's `ripgrep` (its rg stands in for the one @vscode/ripgrep would
# download) and `libkrb5-dev` (a native module of code-server builds against it).
set -euo pipefail
cd "$(dirname "$0")"

WANT_VERSION=4.100.3
RG_VERSION=v13.0.0-10
RG_PACKAGE_VERSION=1.15.11
RG_TARGET=x86_64-unknown-linux-musl

installed_version() {
  [[ -x node_modules/.bin/code-server && -f node_modules/code-server/package.json ]] || return 1
  node -p "require('./node_modules/code-server/package.json').version" 2>/dev/null
}

if [[ "$(installed_version || true)" == "$WANT_VERSION" ]]; then
  echo "harness: code-server $WANT_VERSION already installed"
  exit 0
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [[ "$node_major" != 20 ]]; then
  echo "harness: code-server $WANT_VERSION needs Node 20; this is Node $(node -v)" >&2
  exit 1
fi

rg_bin=$(command -v rg || true)
if [[ -z "$rg_bin" ]]; then
  echo "harness: ripgrep must be installed (apt-get install -y ripgrep): its rg replaces the one code-server would download" >&2
  exit 1
fi
if ! dpkg-query -W -f='${Status}' libkrb5-dev 2>/dev/null | grep -q 'install ok installed'; then
  echo "harness: warning: libkrb5-dev does not look installed (apt-get install -y libkrb5-dev); the install may fail" >&2
fi

# @vscode/ripgrep looks for its archive in $TMPDIR/vscode-ripgrep-cache-<version>/ before
# downloading it; put the local rg there so the install stays offline.
cache_dir="${TMPDIR:-/tmp}/vscode-ripgrep-cache-$RG_PACKAGE_VERSION"
archive="$cache_dir/ripgrep-$RG_VERSION-$RG_TARGET.tar.gz"
if [[ ! -s "$archive" ]]; then
  mkdir -p "$cache_dir"
  staging=$(mktemp -d)
  trap 'rm -rf "$staging"' EXIT
  cp "$rg_bin" "$staging/rg"
  chmod 755 "$staging/rg"
  tar -C "$staging" -czf "$archive.partial" rg
  mv "$archive.partial" "$archive"
  echo "harness: ripgrep cache prepared at $archive"
fi

export npm_config_yes=true
echo "harness: installing code-server $WANT_VERSION (about a minute)"
started=$SECONDS
if [[ -f package-lock.json ]]; then
  npm ci --unsafe-perm --no-audit --no-fund
else
  npm install --unsafe-perm --no-audit --no-fund
fi

if [[ "$(installed_version || true)" != "$WANT_VERSION" ]]; then
  echo "harness: code-server $WANT_VERSION did not install (node_modules/.bin/code-server missing)" >&2
  exit 1
fi
echo "harness: code-server $WANT_VERSION installed in $((SECONDS - started)) s"

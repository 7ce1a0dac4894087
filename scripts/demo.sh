#!/usr/bin/env bash
# `npm run demo`: builds and packages the extension, starts the shared-redis stack (through
# the extension's own code) in a demo workspace, seeds it, and serves code-server with the
# packaged extension installed at http://127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
demo="$root/.tmp/demo"
port=${DEMO_PORT:-8080}
redis_port=${DEMO_REDIS_PORT:-6379}

bash scripts/setup.sh
npm run --silent package >/dev/null
vsix=$(ls -t shared-redis-*.vsix | head -1)
echo "demo: packaged $vsix ($(du -k "$vsix" | cut -f1) KB)"

mkdir -p "$demo/workspace" "$demo/user/User" "$demo/extensions"
npm run --silent compile-tests
# The image built offline from Debian's redis-server (scripts/build-redis-image.sh) stands
# in for redis:7.2-alpine; the extension inside code-server inherits this too.
export REDIS_IMAGE=${REDIS_IMAGE:-shared-redis/redis-offline:7.0.15}
DEMO_REDIS_PORT=$redis_port node scripts/demo-stack.mjs "$demo/workspace"

cat > "$demo/user/User/settings.json" <<JSON
{
  "workbench.startupEditor": "none",
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "workbench.colorTheme": "Default Dark Modern",
  "git.openRepositoryInParentFolders": "never"
}
JSON

code_server="$root/test/harness/node_modules/.bin/code-server"
"$code_server" --extensions-dir "$demo/extensions" --install-extension "$root/$vsix" --force >/dev/null

cleanup() {
  [[ -n "${server_pid:-}" ]] && kill "$server_pid" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$code_server" --auth none --bind-addr "127.0.0.1:$port" --user-data-dir "$demo/user" \
  --extensions-dir "$demo/extensions" --disable-telemetry --disable-update-check \
  --disable-workspace-trust "$demo/workspace" >"$demo/code-server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
echo
echo "Shared Redis demo: http://127.0.0.1:$port"
echo "(the shared-redis stack publishes Redis on 127.0.0.1:$redis_port and keeps running after Ctrl+C;"
echo " stop it from the status bar or with \"Shared Redis: Stop\"; code-server log: $demo/code-server.log)"
wait "$server_pid"

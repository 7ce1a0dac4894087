#!/usr/bin/env bash
# `npm run demo`: builds and packages the extension, starts a seeded Redis on 6379 and
# serves code-server with the packaged extension installed at http://127.0.0.1:8080.
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

mkdir -p "$demo/workspace" "$demo/user/User" "$demo/extensions" "$demo/redis"
started_redis=""
if redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
  echo "demo: a Redis already answers on 127.0.0.1:$redis_port; using it as it is"
else
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$demo/redis" --save "" --appendonly no --daemonize yes --pidfile "$demo/redis/redis.pid" >/dev/null
  started_redis=1
  for _ in $(seq 1 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  node scripts/seed.mjs "$redis_port"
fi

cat > "$demo/user/User/settings.json" <<JSON
{
  "workbench.startupEditor": "none",
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "sharedRedis.port": $redis_port
}
JSON

code_server="$root/test/harness/node_modules/.bin/code-server"
"$code_server" --extensions-dir "$demo/extensions" --install-extension "$root/$vsix" --force >/dev/null

cleanup() {
  [[ -n "${server_pid:-}" ]] && kill "$server_pid" 2>/dev/null || true
  [[ -n "$started_redis" ]] && redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

"$code_server" --auth none --bind-addr "127.0.0.1:$port" --user-data-dir "$demo/user" \
  --extensions-dir "$demo/extensions" --disable-telemetry --disable-update-check \
  --disable-workspace-trust "$demo/workspace" >"$demo/code-server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
echo
echo "Shared Redis demo: http://127.0.0.1:$port"
echo "(Redis on 127.0.0.1:$redis_port; code-server log: $demo/code-server.log; Ctrl+C stops both)"
wait "$server_pid"

#!/usr/bin/env bash
# Makes this machine ready for the tests and the demo, and is quick when it already is:
# Debian packages (as root; otherwise it prints what to install), a running Docker
# engine, the offline Redis image, and the code-server test harness.
set -euo pipefail
cd "$(dirname "$0")/.."

# strace: a test watches a backup copy reach the disk (fsync), as a crash cannot be made on demand.
packages=(redis-server redis-tools docker.io docker-compose chromium libkrb5-dev ripgrep curl openssl strace xz-utils)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: these Debian packages are missing: ${missing[*]}"
    echo "       install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
fi

# A Docker engine: use one that answers, else start Debian's dockerd (root only).
engine_up() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
if ! engine_up; then
  if [[ $(id -u) -eq 0 ]]; then
    echo "setup: starting dockerd (log: /tmp/shared-redis-dockerd.log)"
    nohup dockerd >/tmp/shared-redis-dockerd.log 2>&1 &
    for _ in $(seq 1 60); do engine_up && break; sleep 0.5; done
    engine_up || { echo "setup: dockerd did not start; see /tmp/shared-redis-dockerd.log"; tail -20 /tmp/shared-redis-dockerd.log; exit 1; }
  else
    echo "setup: no Docker engine answers. Start it (sudo systemctl start docker) or set DOCKER_HOST."
    exit 1
  fi
fi
echo "setup: Docker engine $(docker version --format '{{.Server.Version}}')"

bash scripts/build-redis-image.sh
bash test/harness/install.sh
# Not fatal: without them only the tests that run Redis 8.0 / Valkey 8.1 fail, each naming the missing server.
bash scripts/install-newer-servers.sh || echo "setup: Redis 8.0 and Valkey 8.1 could not be unpacked (see above): the tests that run them will fail"

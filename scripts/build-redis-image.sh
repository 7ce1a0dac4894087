#!/usr/bin/env bash
# Builds a Redis image offline from Debian's own redis-server (no registry here):
# the binaries, every library ldd lists, a passwd line and an empty /data, imported
# with `docker import`. About 18 MB; `redis-cli` inside makes compose healthchecks work.
set -euo pipefail
image="${1:-shared-redis/redis-offline:7.0.15}"
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "image $image: present"
  exit 0
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
for bin in /usr/bin/redis-server /usr/bin/redis-cli; do
  install -D "$(readlink -f "$bin")" "$root$bin"
  for lib in $(ldd "$bin" | grep -o '/[^ ]*' | sort -u); do
    install -D "$(readlink -f "$lib")" "$root$lib"
  done
done
mkdir -p "$root/etc" "$root/data" "$root/tmp"
echo 'root:x:0:0:root:/root:/bin/false' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
tar -C "$root" -c . | docker import -c 'CMD ["redis-server"]' -c 'EXPOSE 6379' -c 'WORKDIR /data' - "$image" >/dev/null
echo "image $image: built from $(redis-server --version | cut -d' ' -f3)"

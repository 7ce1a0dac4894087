#!/usr/bin/env bash
# Redis 8.0 and Valkey 8.1 for the tests, from Debian 13 (trixie): they keep a cluster node's
# keys in one table per slot, and SCAN's cursor then carries the slot in its low 14 bits
# (kvstore.c), which Debian 12's Redis 7.0 cannot show. Their packages need trixie's libc, so
# they run through trixie's own loader with trixie's libraries, unpacked here; nothing is
# installed on the system. Quick when already there.
set -euo pipefail
cd "$(dirname "$0")/.."
target=test/harness/servers
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=(redis-server redis-tools valkey-server valkey-tools libc6 libssl3t64 libjemalloc2 liblzf1 libsystemd0
  libatomic1 libstdc++6 libgcc-s1 libcap2 liblz4-1 libzstd1 liblzma5 libgcrypt20 libgpg-error0)

if [[ $(dpkg --print-architecture) != amd64 ]]; then
  echo "setup: the Redis 8 and Valkey 8 the tests also run are fetched for amd64 only; this machine is $(dpkg --print-architecture)"
  exit 1
fi
works() { [[ -x $target/bin/redis-server-8 && -x $target/bin/valkey-server-8 ]] &&
  $target/bin/redis-server-8 --version >/dev/null 2>&1 && $target/bin/valkey-server-8 --version >/dev/null 2>&1; }
if works; then
  echo "setup: $($target/bin/redis-server-8 --version | cut -d' ' -f1-3), $($target/bin/valkey-server-8 --version | cut -d' ' -f1-3) (trixie) ready"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "setup: fetching Redis 8 and Valkey 8 from Debian trixie ($mirror)"
curl -fsS --retry 3 --max-time 120 -o "$work/Packages.xz" "$mirror/dists/trixie/main/binary-amd64/Packages.xz"
xz -dc "$work/Packages.xz" >"$work/Packages"
rm -rf "$target.new" && mkdir -p "$target.new/root" "$target.new/bin"
for pkg in "${packages[@]}"; do
  file=$(awk -v P="Package: $pkg" '$0 == P { found = 1 } found && /^Filename:/ { print $2; exit }' "$work/Packages")
  [[ -n $file ]] || { echo "setup: trixie has no package $pkg"; exit 1; }
  curl -fsS --retry 3 --max-time 300 -o "$work/pkg.deb" "$mirror/$file"
  dpkg-deb -x "$work/pkg.deb" "$target.new/root"
done
for server in redis valkey; do
  cat >"$target.new/bin/$server-server-8" <<WRAPPER
#!/bin/sh
# $server-server from Debian trixie through trixie's loader and libraries (see scripts/install-newer-servers.sh).
root="\$(cd "\$(dirname "\$0")/../root" && pwd)"
exec "\$root/usr/lib64/ld-linux-x86-64.so.2" --library-path "\$root/usr/lib/x86_64-linux-gnu:\$root/lib/x86_64-linux-gnu" "\$root/usr/bin/$server-server" "\$@"
WRAPPER
  chmod 755 "$target.new/bin/$server-server-8"
done
rm -rf "$target" && mv "$target.new" "$target"
works || { echo "setup: the trixie servers in $target do not start:"; $target/bin/redis-server-8 --version; exit 1; }
echo "setup: $($target/bin/redis-server-8 --version | cut -d' ' -f1-3), $($target/bin/valkey-server-8 --version | cut -d' ' -f1-3) (trixie) ready"

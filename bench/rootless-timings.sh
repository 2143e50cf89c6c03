#!/usr/bin/env bash
# Rootless vs root kiln: wall times of a few cold builds (no cache, fresh stores), once each, as root and
# as a new user with a subordinate id range (created and removed here). Run as root:
#   bench/rootless-timings.sh KILN [ROUNDS]
# Builds: examples/web (COPY only), a busybox Dockerfile with three RUN steps (deletions, an opaque
# directory), the same with KILN_SNAPSHOTS=copy (copied root filesystems instead of overlayfs), and the
# Debian multistage example (examples/multistage: apt-get install gcc in RUN, needs Debian's package
# mirror; base from shared/tools/debian-base, pushed to a local registry on a free loopback port).
set -euo pipefail
KILN=$(readlink -f "${1:?usage: rootless-timings.sh KILN [ROUNDS]}")
ROUNDS=${2:-1}
repo=$(cd "$(dirname "$0")/.." && pwd)
tools=$repo/../shared/tools
[ -x "$tools/local-registry" ] || tools=/work/shared/tools
user="kilnbench$$"
work=$(mktemp -d /tmp/kiln-rlbench.XXXXXX)
chmod 755 "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
. "$repo/scripts/test-user.sh"
export KILN_TEST_TMP="$work"
cleanup() {
  "$tools/local-registry" stop "$port" >/dev/null 2>&1 || true
  test_user_remove "$user"
  rm -rf "$work"
}
trap cleanup EXIT
test_user_create "$user" "$work/home" range
"$tools/local-registry" start "$port" >/dev/null
"$tools/local-registry" seed "$port" >/dev/null
"$tools/debian-base" "127.0.0.1:$port" >/dev/null

mkdir -p "$work/in/runs"
cp -r "$repo/examples/web" "$repo/examples/multistage" "$work/in/"
cat > "$work/in/runs/Dockerfile" <<'DOCKERFILE'
FROM 127.0.0.1:PORT/busybox:latest
RUN mkdir -p /a/b/c && echo old > /a/b/f && echo old > /a/keep && echo x > /etc/x && mkdir -p /d/e && echo 1 > /d/e/g
RUN rm /etc/x && rm -rf /a && mkdir /a && echo new > /a/g && chmod 700 /d && rm -rf /d/e
RUN echo more >> /a/g && mkdir -p /x/y/z && echo z > /x/y/z/file
DOCKERFILE
sed -i "s/PORT/$port/" "$work/in/runs/Dockerfile"
chmod -R a+rX "$work/in"
as_user() { runuser -u "$user" -- env -i HOME="$work/home" PATH=/usr/sbin:/usr/bin:/sbin:/bin SOURCE_DATE_EPOCH=1700000000 "$@"; }
as_root() { env SOURCE_DATE_EPOCH=1700000000 "$@"; }
ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }
web=(build -q --no-cache --build-arg "BASE=127.0.0.1:$port/busybox:latest" "$work/in/web")
runs=(build -q --no-cache "$work/in/runs")
multi=(build -q --no-cache --build-arg "BASE=127.0.0.1:$port/fixture/debian:bookworm"
       --build-arg "RUNTIME=127.0.0.1:$port/busybox:latest" -t multistage:1 "$work/in/multistage")
echo "| build | root (ms) | rootless (ms) | rootless/root |"
echo "|---|---|---|---|"
for round in $(seq 1 "$ROUNDS"); do
  for name in web runs runs-copy multistage; do
    case $name in
      web) args=("${web[@]}"); pre=() ;;
      runs) args=("${runs[@]}"); pre=() ;;
      runs-copy) args=("${runs[@]}"); pre=(env KILN_SNAPSHOTS=copy) ;;
      multistage) args=("${multi[@]}"); pre=() ;;
    esac
    rm -rf "$work/root-store"; as_user rm -rf "$work/home/.local/share/kiln"
    # Pulls are not timed: each store gets its base images first.
    as_root env KILN_ROOT="$work/root-store" "$KILN" pull -q "127.0.0.1:$port/busybox:latest" >/dev/null
    as_user "$KILN" pull -q "127.0.0.1:$port/busybox:latest" >/dev/null
    if [ "$name" = multistage ]; then
      as_root env KILN_ROOT="$work/root-store" "$KILN" pull -q "127.0.0.1:$port/fixture/debian:bookworm" >/dev/null
      as_user "$KILN" pull -q "127.0.0.1:$port/fixture/debian:bookworm" >/dev/null
    fi
    r=$(ms as_root env KILN_ROOT="$work/root-store" "${pre[@]}" "$KILN" "${args[@]}")
    u=$(ms as_user "${pre[@]}" "$KILN" "${args[@]}")
    echo "| $name | $r | $u | $(python3 -c "print(f'{$u/$r:.2f}')") |"
  done
done
root_id=$(KILN_ROOT="$work/root-store" "$KILN" inspect --format '{{.Id}}' multistage:1)
user_id=$(as_user "$KILN" inspect --format '{{.Id}}' multistage:1)
echo
echo "multistage image: root $root_id, rootless $user_id"
as_user "$KILN" run --rm --network none multistage:1

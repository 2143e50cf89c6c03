#!/usr/bin/env bash
# Registry build cache vs cold (issue 18): the many-files scenario (shared/bench/compare.py's shape:
# node_modules/pkgA/libB/fC.js, WORKDIR + COPY . . + RUN) built from an empty store
#   cold            no cache at all
#   export          cold plus --cache-to type=registry,mode=max (what the first CI job pays)
#   import+push     another empty store, --cache-from that cache, -t … --push (layers stay remote)
#   import+local    another empty store, --cache-from that cache, image kept in the store (layers fetched)
#
#   bash bench/cache.sh [FILES]     FILES: context files (default 27000, compare.py's size)
#   bash bench/cache.sh debian      the same four builds of examples/multistage (apt-get install gcc in a
#                                   Debian stage, gcc, the binary copied onto busybox); the Debian base comes
#                                   from shared/tools/debian-base, packages from this machine's Debian mirror
#
# KILN_BIN=PATH uses that kiln (default .build/release/kiln). A local registry (shared/tools/local-registry)
# runs on a free loopback port for the run and is stopped after. Results: stdout, as a markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-27000}
kiln=${KILN_BIN:-$(pwd)/.build/release/kiln}
shared=${KILN_SHARED:-$(cd .. && pwd)/shared}
work=$(mktemp -d /tmp/kiln-bench-cache.XXXXXX)
export KILN_TEST_TMP=$work
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$shared/tools/local-registry" start "$port" >/dev/null
trap '"$shared/tools/local-registry" stop "$port"; rm -rf "$work"' EXIT
"$shared/tools/local-registry" seed "$port" >/dev/null
reg=127.0.0.1:$port
if [[ $files == debian ]]; then
  "$shared/tools/debian-base" "$reg" >/dev/null
  cp -r examples/multistage "$work/ctx"
  build_args=(--build-arg "BASE=$reg/fixture/debian:bookworm" --build-arg "RUNTIME=$reg/fixture/busybox:latest")
else
  build_args=()
python3 - "$work/ctx" "$files" "$reg" <<'PY'
import os, random, sys
ctx, files, reg = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rnd = random.Random(1)
for i in range(files):
    sub = os.path.join(ctx, "node_modules", f"pkg{i // 900}", f"lib{i // 30 % 30}")
    os.makedirs(sub, exist_ok=True)
    size = rnd.choice([200, 1000, 4000, 20000])
    with open(os.path.join(sub, f"f{i % 30}.js"), "wb") as f:
        f.write(rnd.randbytes(size // 2).hex().encode()[:size])
with open(os.path.join(ctx, "Dockerfile"), "w") as f:
    f.write(f"FROM {reg}/fixture/busybox:latest\nWORKDIR /app\nCOPY . .\nRUN find /app -type f | wc -l\n")
PY
fi
timed() { local start end; start=$EPOCHREALTIME; "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }; end=$EPOCHREALTIME; awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }'; }
cold=$(timed "$kiln" build --root "$work/s-cold" -q "${build_args[@]}" "$work/ctx")
export_=$(timed "$kiln" build --root "$work/s-a" -q "${build_args[@]}" --cache-to "type=registry,ref=$reg/bench/cache:mf,mode=max" "$work/ctx")
push=$(timed "$kiln" build --root "$work/s-b" -q "${build_args[@]}" --cache-from "type=registry,ref=$reg/bench/cache:mf" -t "$reg/bench/app:b" --push "$work/ctx")
local_=$(timed "$kiln" build --root "$work/s-c" -q "${build_args[@]}" --cache-from "type=registry,ref=$reg/bench/cache:mf" "$work/ctx")
size=$(du -sm "$work/ctx" | cut -f1)
if [[ $files == debian ]]; then echo "| scenario (examples/multistage: Debian + apt-get install gcc, gcc, busybox runtime) | s |"
else echo "| scenario ($files files, $size MB context) | s |"; fi
echo "|---|---|"
echo "| cold | $cold |"
echo "| cold + --cache-to registry mode=max | $export_ |"
echo "| empty store, --cache-from registry, --push | $push |"
echo "| empty store, --cache-from registry, image in store | $local_ |"

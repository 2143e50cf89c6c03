#!/usr/bin/env bash
# The cost of RUN's private network (issue 14): builds of 1 and 10 `RUN true` steps from the busybox
# fixture, --no-cache, with the default private network and with --network host, each N times (default 5);
# prints the medians and the derived per-build and per-step costs. Needs root, runc and pasta.
# Usage: scripts/bench-run-network.sh [KILN] [N]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
kiln="${1:-$here/.build/debug/kiln}"
runs="${2:-5}"
shared="${KILN_SHARED:-$here/../shared}"
work="$(mktemp -d /tmp/kiln-bench-net-XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/one" "$work/ten"
printf 'FROM base\nRUN true\n' > "$work/one/Dockerfile"
{ printf 'FROM base\n'; for i in $(seq 1 10); do printf 'RUN true\n'; done; } > "$work/ten/Dockerfile"
base="base=oci-layout://$shared/fixtures/busybox:latest"
"$kiln" build -q --root "$work/store" --build-context "$base" "$work/one" >/dev/null  # warm: image snapshots

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
measure() {  # context, extra flags...
  local context="$1"; shift
  for _ in $(seq 1 "$runs"); do
    local start end
    start=$(date +%s%N)
    "$kiln" build -q --no-cache --root "$work/store" --build-context "$base" "$@" "$context" >/dev/null
    end=$(date +%s%N)
    echo $(( (end - start) / 1000000 ))
  done | median
}
one_private=$(measure "$work/one")
one_host=$(measure "$work/one" --network host)
ten_private=$(measure "$work/ten")
ten_host=$(measure "$work/ten" --network host)
echo "median wall time of $runs builds, ms: 1 RUN private=$one_private host=$one_host; 10 RUN private=$ten_private host=$ten_host"
awk -v op="$one_private" -v oh="$one_host" -v tp="$ten_private" -v th="$ten_host" 'BEGIN {
  step = ((tp - op) - (th - oh)) / 9
  printf "per step (private - host): %.1f ms; per build (namespace + pasta, once): %.1f ms\n", step, (op - oh) - step
}'

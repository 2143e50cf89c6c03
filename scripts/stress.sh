#!/usr/bin/env bash
# Stress run of the store under faults and contention (issue 14); not part of CI (minutes).
#   scripts/stress.sh [ITERATIONS]     default 100 (0 skips part 1)
# 1. FaultLoopTests with KILN_FAULT_ITERATIONS=ITERATIONS: SIGKILL at random moments of builds
#    (RUN with a secret, COPY, commit), pulls and pushes; 4 builds + 4 pulls at once; rmi/prune
#    during a build; a full tmpfs store.
# 2. ~30 builds of one tag at once, alongside `kiln prune -f` and pushes of that tag, then
#    `kiln system check` (a manifest whose layer blob is missing once showed up in this mix).
# Needs a built tree (swift build --build-tests), runc, and shared/tools/local-registry.
# Prints a summary to paste into bench/results/<date>-stress.md.
set -uo pipefail
cd "$(dirname "$0")/.."
N=${1:-100}
KILN=${KILN_BIN:-$PWD/.build/debug/kiln}
SHARED=${KILN_SHARED:-../shared}
work=$(mktemp -d /tmp/kiln-stress-XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() { "$SHARED/tools/local-registry" stop "$port" >/dev/null 2>&1; rm -rf "$work"; }
trap cleanup EXIT

if [ "$N" -gt 0 ]; then
  echo "== 1. fault loops, $N iterations each"
  start=$(date +%s)
  KILN_FAULT_ITERATIONS=$N swift test --skip-build --filter 'CLITests.FaultLoopTests' 2>&1 | grep -E "Test Case .*(passed|failed)|error:" | sed 's/^/  /'
  echo "  ($(( $(date +%s) - start )) s)"
fi

echo "== 2. 30 builds of one tag with prune -f and pushes alongside"
"$SHARED/tools/local-registry" start "$port" >/dev/null && "$SHARED/tools/local-registry" seed "$port" >/dev/null || { echo "no registry"; exit 1; }
store=$work/store
"$KILN" pull -q --root "$store" "127.0.0.1:$port/busybox:latest" >/dev/null
mkdir -p "$work/ctx"
printf 'FROM 127.0.0.1:%s/busybox:latest\nARG N\nRUN echo "$N" > /n\nCOPY f /f\n' "$port" > "$work/ctx/Dockerfile"
head -c 1048576 /dev/urandom > "$work/ctx/f"
start=$(date +%s)
pids=()
for i in $(seq 1 30); do
  "$KILN" build -q --root "$store" --build-arg N=$i -t "127.0.0.1:$port/stress:latest" "$work/ctx" >"$work/build-$i.log" 2>&1 & pids+=($!)
done
others=()
( for i in $(seq 1 15); do "$KILN" prune -f --root "$store" >/dev/null 2>&1; sleep 0.3; done ) & others+=($!)
( for i in $(seq 1 8); do "$KILN" push --root "$store" "127.0.0.1:$port/stress:latest" >>"$work/push.log" 2>&1; sleep 0.5; done ) & others+=($!)
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed+1)); done
for p in "${others[@]}"; do wait "$p"; done
echo "  builds: $((30 - failed)) of 30 succeeded ($(( $(date +%s) - start )) s)"
[ "$failed" -eq 0 ] || grep -h -i error "$work"/build-*.log | sort | uniq -c | head -5 | sed 's/^/  /'
echo "  pushes: $(grep -c 'digest:' "$work/push.log" 2>/dev/null || echo 0) of 8 succeeded"
grep -i -h "error" "$work/push.log" | sort | uniq -c | head -3 | sed 's/^/  push /'
"$KILN" system check --root "$store" | sed 's/^/  /'
check=${PIPESTATUS[0]}
mounts=$(grep -c " $store/" /proc/self/mountinfo)
echo "  mounts left under the store: $mounts"
[ "$check" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$mounts" -eq 0 ]

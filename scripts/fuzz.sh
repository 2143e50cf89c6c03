#!/usr/bin/env bash
# Builds the libFuzzer binary for the Dockerfile frontend (parser + expansion) and runs it.
#   scripts/fuzz.sh [RUNS]        default 1000000 runs, seeded with every vector Dockerfile
# A crash or a hang (an input taking over 5 s) fails the run; libFuzzer writes the input to
# fuzz-out/. Copy it to Tests/FuzzCorpus/regressions/ and it becomes a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-1000000}
SCRATCH=.build-fuzz
swift build -c release --scratch-path "$SCRATCH" --target KilnFuzz -Xswiftc -sanitize=fuzzer >/dev/null
BIN=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)
objects=()
for module in ShellWords DockerfileSyntax KilnFuzz; do
  objects+=("$BIN/$module.build"/*.o)
done
swiftc -sanitize=fuzzer "${objects[@]}" -o "$SCRATCH/kiln-fuzz"

SHARED=${KILN_SHARED:-../shared}
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
i=0
for f in "$SHARED"/vectors/parser*/*/Dockerfile Tests/FuzzCorpus/regressions/* Tests/FuzzCorpus/seeds/*; do
  [ -f "$f" ] && cp "$f" "$corpus/seed-$((i++))"
done
mkdir -p fuzz-out
# One fuzzer process per core, splitting the runs; each writes any failing input to fuzz-out/.
WORKERS=${KILN_FUZZ_WORKERS:-$(nproc)}
per=$(( (RUNS + WORKERS - 1) / WORKERS ))
pids=()
for w in $(seq 1 "$WORKERS"); do
  "$SCRATCH/kiln-fuzz" -runs="$per" -seed="$((1000 + w))" -timeout=5 -max_len=4096 -rss_limit_mb=4096 \
    -artifact_prefix=fuzz-out/ -print_final_stats=1 "$corpus" >"fuzz-out/worker-$w.log" 2>&1 &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
for w in $(seq 1 "$WORKERS"); do
  grep -E "^(Done|==|SUMMARY|Test unit written|artifact_prefix)|ERROR|crash-|timeout-" "fuzz-out/worker-$w.log" | sed "s/^/worker $w: /"
done
if [ "$status" -eq 0 ]; then
  echo "fuzz: $((per * WORKERS)) inputs through parser + expansion ($WORKERS workers), no crash or hang"
else
  echo "fuzz: FAILED; the failing input is in fuzz-out/ (copy it to Tests/FuzzCorpus/regressions/)" >&2
fi
exit "$status"

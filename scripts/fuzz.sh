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
set +e
"$SCRATCH/kiln-fuzz" -runs="$RUNS" -timeout=5 -max_len=4096 -rss_limit_mb=4096 \
  -artifact_prefix=fuzz-out/ -print_final_stats=1 "$corpus" 2>&1 \
  | grep -E "^(Done|INFO: Seed|==|SUMMARY|stat::number_of_executed_units|artifact_prefix|Test unit written)|ERROR|crash|timeout"
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] && echo "fuzz: $RUNS inputs through parser + expansion, no crash or hang"
[ "$status" -eq 0 ] || echo "fuzz: FAILED (status $status); the input is in fuzz-out/" >&2
exit "$status"

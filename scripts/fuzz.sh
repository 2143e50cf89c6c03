#!/usr/bin/env bash
# Builds the libFuzzer binary and runs each fuzz target: the Dockerfile frontend (parser +
# expansion), the tar reader, the gzip reader and the manifest/index/config decoders.
#   scripts/fuzz.sh [RUNS] [TARGET...]   RUNS inputs per target (default 200000, CI's budget:
#                                        the four targets take a few minutes on 2 cores);
#                                        scripts/fuzz.sh 1000000 for the full run (>= 1M each).
#   targets: frontend tar gzip documents (default: all)
# A crash or a hang (an input taking over 5 s) fails the run; libFuzzer writes the input to
# fuzz-out/<target>/. Copy it to the target's folder under Tests/FuzzCorpus (regressions/ for the
# frontend) and it becomes a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-200000}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(frontend tar gzip documents)
SCRATCH=.build-fuzz
swift build -c release --scratch-path "$SCRATCH" --target KilnFuzz -Xswiftc -sanitize=fuzzer >/dev/null
BIN=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)
# Every object built for KilnFuzz and its dependencies (our modules, swift-crypto with its C
# parts in nested folders); zlib and libcrypto (CSHA256) are linked as system libraries.
mapfile -t objects < <(find "$BIN" -path '*.build/*' -name '*.o' | sort)
swiftc -sanitize=fuzzer "${objects[@]}" -lz -lcrypto -o "$SCRATCH/kiln-fuzz"

SHARED=${KILN_SHARED:-../shared}
WORKERS=${KILN_FUZZ_WORKERS:-$(nproc)}
per=$(( (RUNS + WORKERS - 1) / WORKERS ))
status=0
for target in "${TARGETS[@]}"; do
  corpus=$(mktemp -d)
  i=0
  case $target in
    frontend) seeds=("$SHARED"/vectors/parser*/*/Dockerfile Tests/FuzzCorpus/regressions/* Tests/FuzzCorpus/seeds/*) ;;
    *) seeds=(Tests/FuzzCorpus/"$target"/*) ;;
  esac
  for f in "${seeds[@]}"; do
    [ -f "$f" ] && cp "$f" "$corpus/seed-$((i++))"
  done
  out=fuzz-out/$target
  mkdir -p "$out"
  # One fuzzer process per core, splitting the runs; each writes any failing input to $out/.
  pids=()
  for w in $(seq 1 "$WORKERS"); do
    KILN_FUZZ_TARGET=$target "$SCRATCH/kiln-fuzz" -runs="$per" -seed="$((1000 + w))" -timeout=5 -max_len=4096 -rss_limit_mb=4096 \
      -artifact_prefix="$out/" -print_final_stats=1 "$corpus" >"$out/worker-$w.log" 2>&1 &
    pids+=($!)
  done
  target_status=0
  for pid in "${pids[@]}"; do wait "$pid" || target_status=1; done
  for w in $(seq 1 "$WORKERS"); do
    grep -E "^(Done|==|SUMMARY|Test unit written|artifact_prefix)|ERROR|crash-|timeout-" "$out/worker-$w.log" | sed "s/^/$target worker $w: /"
  done
  rm -rf "$corpus"
  if [ "$target_status" -eq 0 ]; then
    echo "fuzz: $((per * WORKERS)) inputs through $target ($WORKERS workers), no crash or hang"
  else
    echo "fuzz: $target FAILED; the failing input is in $out/ (copy it to Tests/FuzzCorpus)" >&2
    status=1
  fi
done
exit "$status"

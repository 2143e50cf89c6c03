#!/usr/bin/env bash
# Runs every test: a bounded fuzz run of each target (Dockerfile frontend, tar, gzip, image documents), then the unit
# tests against shared/vectors and the CLI tests against the built binary. Ends with XCTest's summary.
#   KILN_FUZZ_RUNS=N   fuzz inputs per target (default 200000; 0 skips fuzzing; 1000000 for a full run)
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh || exit 1
if [ "${KILN_FUZZ_RUNS:-200000}" != 0 ]; then
  bash scripts/fuzz.sh "${KILN_FUZZ_RUNS:-200000}" || exit 1
fi
swift build --build-tests || exit 1
# Passing test cases are not echoed (the summary counts them); failures and suites are.
swift test --skip-build --disable-swift-testing 2>&1 \
  | grep --line-buffered -Ev "^Test Case '.*' (started|passed)"
exit "${PIPESTATUS[0]}"

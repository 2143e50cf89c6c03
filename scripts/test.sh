#!/usr/bin/env bash
# Runs every test: unit tests against shared/vectors, CLI tests against the built binary,
# and a bounded fuzz run of the parser and expander. Ends with XCTest's closing summary.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh || exit 1
swift build --build-tests || exit 1
# Passing test cases are not echoed (the summary counts them); failures and suites are.
swift test --skip-build --disable-swift-testing 2>&1 \
  | grep --line-buffered -Ev "^Test Case '.*' (started|passed)"
exit "${PIPESTATUS[0]}"

#!/usr/bin/env bash
# Builds the kiln binary and prints its path: `bash scripts/build-kiln.sh [release|debug]` (default release).
# A release kiln carries the Swift runtime and Foundation inside it (--static-swift-stdlib): each kiln
# command then starts in ~14 ms instead of ~22 (the loader binds no shared Swift libraries' symbols), which
# is most of what a no-op rebuild costs beside its context scan. Debug builds (the tests') stay dynamic.
# Every script that builds kiln for use (demo, install, bench) builds it here, so a release tree is never
# rebuilt back and forth between the two link modes.
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-release}
flags=()
[[ $config == release ]] && flags=(--static-swift-stdlib)
# Quiet when it works; the compiler's whole output when it does not.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
swift build -c "$config" --product kiln "${flags[@]}" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
echo "$(pwd)/.build/$config/kiln"

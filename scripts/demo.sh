#!/usr/bin/env bash
# The main job on a fresh machine: install what kiln needs, build it, and run it on the example project.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release --product kiln
KILN=.build/release/kiln
$KILN version
echo "== kiln check examples/hello"
# The example deliberately follows the tutorial's first Dockerfile, so check has advice to give.
$KILN check examples/hello || true

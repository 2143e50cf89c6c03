#!/usr/bin/env bash
# The benchmark harness: kiln beside the reference tools, on this machine, in one run.
#
#   bash bench/run.sh [images|builds|all] [RUNS]
#
#   images  bench/images.py: pull the Debian base (shared/tools/debian-base) into an empty store, push a
#           512 MB image; kiln vs skopeo vs docker (shared/tools/reference-docker).
#   builds  shared/bench/compare.py: many-files, many-steps, parallel (and push-big, pull-debian) with
#           docker/BuildKit, buildah and kiln.
# Results (markdown tables) go to stdout and bench/results/DATE-*.md. Never run by the tests: timings
# belong here, not in assertions.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}; runs=${2:-3}
shared=${KILN_SHARED:-$(cd .. && pwd)/shared}
bash scripts/install-deps.sh >/dev/null
command -v buildah >/dev/null || { apt-get update -qq >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah >/dev/null; }
swift build -c release --product kiln >/dev/null
kiln=$(pwd)/.build/release/kiln
mkdir -p bench/results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
if [[ $what == images || $what == all ]]; then
  python3 bench/images.py --kiln "$kiln" --runs "$runs" | tee "bench/results/$stamp-images.md"
fi
if [[ $what == builds || $what == all ]]; then
  python3 "$shared/bench/compare.py" --kiln "$kiln" --runs "$runs" --builders docker,buildah,kiln \
    --only many-files,many-steps,parallel | tee "bench/results/$stamp-builds.md"
fi

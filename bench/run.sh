#!/usr/bin/env bash
# The benchmark harness: kiln beside the reference tools, on this machine, in one command.
#
#   bash bench/run.sh [images|builds|c-project|rootless|scaling|all] [RUNS]
#
#   images   bench/images.py: pull the Debian base (shared/tools/debian-base) into an empty store, push a
#            512 MB image; kiln vs skopeo vs docker (shared/tools/reference-docker).
#   builds   shared/bench/compare.py: many-files (cold, no-op, one change), many-steps (cold, no-op),
#            parallel and push-big (build, push) with docker/BuildKit, buildah and kiln.
#   c-project bench/c-project.py: the "real C project" row (Debian + apt-get install build-essential, make,
#            multistage onto busybox), cold and one source file changed, docker/BuildKit vs kiln.
#   rootless bench/rootless-compare.sh: compare.py's scenarios with kiln as root and as a new plain user.
#   scaling  bench/scaling.py: kiln alone, context 1k/10k/100k files, layer 10 MB/100 MB/1 GB,
#            10/30/100 RUN steps, 1/3/8 parallel stages; wall time and peak RSS of each.
#   all      images, builds, c-project and scaling (rootless only when asked: it adds a user).
#
# Environment: KILN_BIN=PATH uses that kiln instead of building .build/release/kiln;
# BUILDERS=docker,kiln narrows compare.py's builders; BENCH_TINY=1 runs every scenario once at tiny sizes
# (scaling --tiny, compare.py --runs 1) to prove the scripts work on a busy machine (figures meaningless).
# Results (markdown tables, with the machine's state: load average, memory, busiest processes) go to
# stdout and bench/results/DATE-*.md. Never run by the tests: timings belong here, not in assertions.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}; runs=${2:-3}
shared=${KILN_SHARED:-$(cd .. && pwd)/shared}
export KILN_SHARED=$shared
bash scripts/install-deps.sh >/dev/null
if [[ -z ${KILN_BIN:-} ]]; then
  kiln=$(bash scripts/build-kiln.sh release)
else
  kiln=$KILN_BIN
fi
mkdir -p bench/results
stamp=$(date -u +%Y%m%dT%H%M%SZ)

# Every --no-cache run leaves its image behind in each builder's store (push-big and the C project ~0.5 GB
# each): kiln's bench store starts empty of them, and a disk that cannot take a few runs more is named
# before the runs fail half-way.
bench_root=${KILN_BENCH_DIR:-/tmp/kiln-bench}/kiln-root
[[ -d $bench_root ]] && KILN_ROOT=$bench_root "$kiln" system prune -a -f >/dev/null 2>&1 || true
free_gb=$(df -Pk "$(dirname "$bench_root")" 2>/dev/null | awk 'NR == 2 {print int($4 / 1048576)}')
if [[ -n $free_gb && $free_gb -lt 20 ]]; then
  echo "bench/run.sh: only ${free_gb} GB free where the stores are; the scenarios need ~20 GB (docker and kiln stores)" >&2
fi

state() {
  echo "Machine: $(nproc) CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)," \
       "$(awk '/MemAvailable/ {printf "%d MB", $2/1024}' /proc/meminfo) available; kiln $("$kiln" --version 2>/dev/null || echo '?')."
  echo
  echo '```'
  ps -eo pcpu,rss,comm --sort=-pcpu | head -8
  echo '```'
  echo
}

if [[ $what == images || $what == all ]]; then
  { state; python3 bench/images.py --kiln "$kiln" --runs "$runs"; } | tee "bench/results/$stamp-images.md"
fi
if [[ $what == builds || $what == all ]]; then
  builders=${BUILDERS:-docker,buildah,kiln}
  [[ -n ${BENCH_TINY:-} ]] && runs=1
  command -v buildah >/dev/null || [[ $builders != *buildah* ]] || { apt-get update -qq >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah >/dev/null; }
  { echo "# Builds: shared/bench/compare.py --runs $runs --builders $builders, $(date -u '+%Y-%m-%d %H:%M UTC')"; echo; state
    python3 "$shared/bench/compare.py" --kiln "$kiln" --runs "$runs" --builders "$builders" \
      --only many-files,many-steps,parallel,push-big --registry "127.0.0.1:${BENCH_PORT:-5000}"
    echo; echo "Machine at the end: load average $(cut -d' ' -f1-3 /proc/loadavg)"; } | tee "bench/results/$stamp-builds.md"
fi
if [[ $what == c-project || $what == all ]]; then
  { echo "# C project: bench/c-project.py --runs $runs, $(date -u '+%Y-%m-%d %H:%M UTC')"; echo; state
    python3 bench/c-project.py --kiln "$kiln" --runs "$runs" --builders "${BUILDERS:-docker,kiln}" \
      --registry "127.0.0.1:${BENCH_PORT:-5000}"
    echo; echo "Machine at the end: load average $(cut -d' ' -f1-3 /proc/loadavg)"; } | tee "bench/results/$stamp-c-project.md"
fi
if [[ $what == rootless ]]; then
  bash bench/rootless-compare.sh "$kiln" "$runs"
fi
if [[ $what == scaling || $what == all ]]; then
  tiny=(); [[ -n ${BENCH_TINY:-} ]] && tiny=(--tiny)
  python3 bench/scaling.py --kiln "$kiln" --runs "${SCALING_RUNS:-1}" "${tiny[@]}" --port "${SCALING_PORT:-5031}" \
    --out "bench/results/$stamp-scaling.md"
fi

#!/usr/bin/env bash
# Rootless kiln vs root kiln on shared/bench/compare.py's scenarios (issue 17: rootless costs at most 1.2x root).
#   bash bench/rootless-compare.sh KILN [ROUNDS] [SCENARIOS]
# Run as root. Creates a user with a subordinate id range (removed at the end) and runs compare.py with only
# the kiln builder, alternately with KILN as root and with KILN as that user (through a wrapper that keeps
# compare.py's command line), one run per round, so machine drift hits both alike; prints the medians of the
# rounds and the ratio rootless/root, and writes the table to bench/results/DATE-rootless-compare.md.
set -euo pipefail
KILN=$(readlink -f "${1:?usage: rootless-compare.sh KILN [ROUNDS] [SCENARIOS]}")
ROUNDS=${2:-3}
ONLY=${3:-many-files,many-steps,parallel,push-big}
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=${KILN_SHARED:-$repo/../shared}
[ -f "$shared/bench/compare.py" ] || shared=/work/shared
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
user="kilnrl$$"
work=$(mktemp -d /tmp/kiln-rlcompare.XXXXXX)
chmod 755 "$work"
. "$repo/scripts/test-user.sh"
cleanup() {
  "$shared/tools/local-registry" stop "$port" >/dev/null 2>&1 || true
  test_user_remove "$user"
  rm -rf "$work"
}
trap cleanup EXIT
test_user_create "$user" "$work/home" range
cp "$KILN" "$work/kiln" && chmod 755 "$work/kiln"
# The wrapper: compare.py's kiln command line, run by the user with the user's own store and runtime dir.
mkdir -p "$work/rootless-store" "$work/run" && chown "$user:" "$work/rootless-store" "$work/run"
chmod 700 "$work/run"
cat > "$work/kiln-rootless" <<WRAP
#!/usr/bin/env bash
exec runuser -u $user -- env -i HOME=$work/home PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  XDG_RUNTIME_DIR=$work/run KILN_ROOT=$work/rootless-store $work/kiln "\$@"
WRAP
chmod 755 "$work/kiln-rootless"
export KILN_BENCH_DIR="$work/bench"
mkdir -p "$KILN_BENCH_DIR" && chmod 755 "$KILN_BENCH_DIR"
umask 022
for round in $(seq 1 "$ROUNDS"); do
  for mode in root rootless; do
    bin=$work/kiln; [ "$mode" = rootless ] && bin=$work/kiln-rootless
    echo "round $round: $mode" >&2
    python3 "$shared/bench/compare.py" --builders kiln --kiln "$bin" --runs 1 --only "$ONLY" \
      --registry "127.0.0.1:$port" --json "$work/$mode-$round.json" >/dev/null
  done
done
mkdir -p "$repo/bench/results"
out="$repo/bench/results/$(date -u +%Y%m%dT%H%M%SZ)-rootless-compare.md"
python3 - "$work" "$ROUNDS" "$KILN" "$ONLY" > "$out" <<'PY'
import json, statistics, sys, os
work, rounds, kiln, only = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
load = open("/proc/loadavg").read().split()[:3]
print(f"# Rootless vs root kiln, shared/bench/compare.py --builders kiln ({only}), {rounds} rounds alternating\n")
print(f"`bash bench/rootless-compare.sh {kiln} {rounds}`; machine: {os.cpu_count()} CPUs, load average at the end {' '.join(load)}.")
print("Root: KILN_ROOT in compare.py's scratch; rootless: a new user with a subordinate id range, its own store.\n")
print("| scenario | root s | rootless s | rootless/root |")
print("|---|---|---|---|")
per = {}
for mode in ("root", "rootless"):
    for r in range(1, rounds + 1):
        try:
            data = json.load(open(f"{work}/{mode}-{r}.json"))
        except FileNotFoundError:
            continue
        for k, v in data.items():
            if v.get("kiln") is not None:
                per.setdefault(k, {}).setdefault(mode, []).append(v["kiln"])
for k, m in per.items():
    a = statistics.median(m["root"]) if m.get("root") else None
    b = statistics.median(m["rootless"]) if m.get("rootless") else None
    ratio = f"{b / a:.2f}" if a and b else "-"
    fmt = lambda x: f"{x:.2f}" if x is not None else "fail"
    print(f"| {k} | {fmt(a)} | {fmt(b)} | {ratio} |")
PY
cat "$out"

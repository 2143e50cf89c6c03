#!/usr/bin/env python3
"""one-change.py CONTEXT RUNS NAME=KILN... : compare.py's "many-files, one file changed" row, phase by phase.

Each NAME=KILN binary gets its own store (/tmp/<NAME>-onechange-root, built once first); then RUNS
times, builders interleaved run by run: append a line to node_modules/pkg3/lib4/f5.js (as compare.py
does) and `kiln build --trace` at once. Prints, per builder, the median wall time and the median of
each phase's summed 'X' durations (ms), and the machine's load.
"""
import json, os, statistics, subprocess, sys, time

ctx, runs, builders = sys.argv[1], int(sys.argv[2]), [a.split("=", 1) for a in sys.argv[3:]]
changed = os.path.join(ctx, "node_modules", "pkg3", "lib4", "f5.js")
results = {name: [] for name, _ in builders}
loads = []

def build(name, kiln, trace):
    env = dict(os.environ, KILN_ROOT=f"/tmp/{name}-onechange-root")
    start = time.monotonic()
    subprocess.run([kiln, "build", "-q", "--trace", trace, "-t", f"onechange-{name}", ctx], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return time.monotonic() - start

for name, kiln in builders:
    build(name, kiln, f"/tmp/{name}-onechange-trace.json")
for run in range(runs):
    for name, kiln in builders:
        with open(changed, "ab") as f:
            f.write(b"//changed %d\n" % time.time_ns())
        loads.append(os.getloadavg()[0])
        trace = f"/tmp/{name}-onechange-trace.json"
        wall = build(name, kiln, trace)
        phases = {}
        for e in json.load(open(trace)):
            if e.get("ph") == "X":
                phases[e["name"]] = phases.get(e["name"], 0) + e["dur"] / 1000
        phases["wall"] = wall * 1000
        results[name].append(phases)
for name, rows in results.items():
    keys = sorted({k for r in rows for k in r}, key=lambda k: (k != "wall", k))
    print(f"{name}: n={len(rows)} " + ", ".join(f"{k} {statistics.median(r.get(k, 0) for r in rows):.0f}" for k in keys))
    print("  walls:", " ".join(f"{r['wall'] / 1000:.2f}" for r in rows))
print(f"load1 {min(loads):.1f}-{max(loads):.1f}")

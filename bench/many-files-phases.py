#!/usr/bin/env python3
"""many-files-phases.py RUNS SCENARIO [BEFORE_KILN AFTER_KILN]: two release kiln binaries, interleaved run by run
(order alternating), on shared/bench/compare.py's many-files context (make it first with compare.make_many_files
into /tmp/replan-bench), each with its own store (/tmp/replan-store-{main,new}); prints each run's wall time and
its `--trace` phases summed by name (ms), then medians.
SCENARIO: warm (a --no-cache build and a rebuild each), onechange (append to one file, build at once),
noop (build again), afterchange (append, build untimed, then the timed no-op), cold (--no-cache).
Each onechange build leaves a 215 MB layer: remove the stores afterwards."""
import json, os, statistics, subprocess, sys, time, collections
runs, scen = int(sys.argv[1]), sys.argv[2]
ctx = "/tmp/replan-bench/many-files"
bins = {"main": sys.argv[3] if len(sys.argv) > 3 else "/tmp/replan-main-kiln",
        "new": sys.argv[4] if len(sys.argv) > 4 else "/tmp/replan-new-kiln"}
res = collections.defaultdict(list)
def build(name, extra=""):
    trace = f"/tmp/replan-trace-{name}.json"
    cmd = f"{bins[name]} build --root /tmp/replan-store-{name} -q {extra} --trace {trace} -t bench/many:{name} {ctx} >/dev/null"
    t = time.monotonic(); subprocess.run(cmd, shell=True, check=True); dt = time.monotonic() - t
    ph = collections.Counter()
    for e in json.load(open(trace)):
        if e.get("ph") == "X": ph[e["name"]] += e["dur"] / 1000
    return dt, ph
if scen == "warm":
    for n in bins: build(n, "--no-cache"); build(n)
    sys.exit(0)
for i in range(runs):
    for n in (bins if i % 2 == 0 else list(bins)[::-1]):
        if scen == "onechange":
            with open(os.path.join(ctx, "node_modules/pkg3/lib4/f5.js"), "ab") as f: f.write(b"//changed %d\n" % time.time_ns())
        if scen == "afterchange":
            with open(os.path.join(ctx, "node_modules/pkg3/lib4/f5.js"), "ab") as f: f.write(b"//changed %d\n" % time.time_ns())
            build(n)
        load = os.getloadavg()[0]
        dt, ph = build(n, "--no-cache" if scen == "cold" else "")
        res[n].append((dt, ph, load))
        print(f"{n} run {i}: wall {dt:.3f} s load {load:.1f} " + " ".join(f"{k}={v:.0f}" for k, v in sorted(ph.items()) if v >= 1), flush=True)
for n, rows in res.items():
    keys = sorted({k for _, ph, _ in rows for k in ph})
    print(f"MEDIAN {n}: wall {statistics.median(r[0] for r in rows):.3f} s (load {min(r[2] for r in rows):.1f}-{max(r[2] for r in rows):.1f}); " +
          ", ".join(f"{k} {statistics.median(r[1].get(k, 0) for r in rows):.0f}" for k in keys if statistics.median(r[1].get(k, 0) for r in rows) >= 1))

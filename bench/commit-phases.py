#!/usr/bin/env python3
"""A RUN's commit and snapshot phases, two kiln binaries interleaved run by run.

usage: bench/commit-phases.py CONTEXT RUNS NAME=KILN [NAME=KILN ...]

Each run builds CONTEXT with `kiln build -q --no-cache --trace FILE` (store KILN_ROOT=/tmp/commit-root-NAME,
kept between runs so the base image is pulled once; the
built image removed and the store pruned after each run, untimed) and sums, from the trace, the phases of the step with
the longest `commit` (the big RUN): container, diff, commit, snapshot. Prints each run (with the 1-minute
load) and the medians.
"""
import collections, json, os, statistics, subprocess, sys, time

ctx, runs = sys.argv[1], int(sys.argv[2])
bins = dict(a.split("=", 1) for a in sys.argv[3:])
res = collections.defaultdict(lambda: collections.defaultdict(list))
for r in range(runs):
    for name, exe in bins.items():
        env = dict(os.environ, KILN_ROOT=f"/tmp/commit-root-{name}")
        trace = f"/tmp/commit-trace-{name}.json"
        t = time.time()
        subprocess.run([exe, "build", "-q", "--no-cache", "--trace", trace, "-t", "bench:x", ctx], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        wall = time.time() - t
        events = json.load(open(trace))
        events = events["traceEvents"] if isinstance(events, dict) else events
        spans = [e for e in events if e.get("ph") == "X"]
        big = max((e for e in spans if e["name"] == "commit"), key=lambda e: e["dur"])
        sums = collections.defaultdict(float)
        for e in spans:
            if e["args"].get("step") == big["args"].get("step"):
                sums[e["name"]] += e["dur"] / 1000
        # Untimed: the image and its layers go again, so the runs do not fill the disk (about 1 GB a run).
        subprocess.run([exe, "rmi", "bench:x"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([exe, "system", "prune", "-f"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        res[name]["wall"].append(wall)
        for k in ("container", "diff", "commit", "snapshot"):
            res[name][k].append(sums[k])
        print(f"run {r} {name}: wall {wall:.2f} s, load {os.getloadavg()[0]:.2f}, "
              + ", ".join(f"{k} {sums[k]:.0f} ms" for k in ("container", "diff", "commit", "snapshot")), flush=True)
for name in bins:
    print(f"median {name}: " + ", ".join(f"{k} {statistics.median(v):.2f} s" if k == "wall" else f"{k} {statistics.median(v):.0f} ms"
                                         for k, v in res[name].items()))

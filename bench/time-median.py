#!/usr/bin/env python3
"""time-median.py LABEL RUNS PREP_CMD CMD : runs PREP (untimed) then CMD, RUNS times; prints medians of wall/user/sys/maxrss."""
import subprocess, sys, statistics, os, resource, time
label, runs, prep, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rows = []
for i in range(runs):
    if prep: subprocess.run(prep, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    load = os.getloadavg()[0]
    out = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "bash", "-c", cmd + " >/dev/null 2>/tmp/time-median.err"], stderr=subprocess.PIPE, text=True)
    if out.returncode != 0:
        print("FAILED", open("/tmp/time-median.err").read()[-2000:]); sys.exit(1)
    w, u, s, m = out.stderr.strip().splitlines()[-1].split()
    rows.append((float(w), float(u), float(s), int(m) / 1024, load))
med = lambda k: statistics.median(r[k] for r in rows)
print(f"{label}: n={runs} wall {med(0):.3f} s, user {med(1):.3f} s, sys {med(2):.3f} s, cpu {statistics.median(r[1]+r[2] for r in rows):.3f} s, peak {med(3):.1f} MiB, load1 {min(r[4] for r in rows):.1f}-{max(r[4] for r in rows):.1f}")
print("  walls:", " ".join(f"{r[0]:.2f}" for r in rows))

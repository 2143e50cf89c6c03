#!/usr/bin/env python3
"""Scaling curves of kiln builds (issue 13): how time and peak memory grow with the input.

  context   COPY . . of a context of 1k / 10k / 100k files (~8 KB each): cold, no-op rebuild, one file changed
  layer     one RUN writing a 10 MB / 100 MB / 1 GB file (urandom): cold build, then `kiln push` (gzip, all cores)
  steps     10 / 30 / 100 RUN steps: cold, no-op rebuild
  stages    1 / 3 / 8 independent stages (`sleep 1`) joined by COPY --from: cold

Each figure is one run's wall time and the peak RSS of the kiln process (/usr/bin/time -v's "Maximum
resident set size"); `--runs N` takes the median of N. Bases come from a local registry seeded with
shared/fixtures/busybox (shared/tools/local-registry). `--tiny` shrinks every size (to prove the
script works on a busy machine; its figures mean nothing). With `--trace`, each build also writes
`kiln build --trace` files next to the results, for the phases behind a figure.

usage: scaling.py [--kiln PATH] [--runs N] [--only context,layer,steps,stages] [--tiny] [--port P] [--out FILE.md]
"""
import argparse, os, random, re, shutil, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("KILN_SHARED", os.path.join(HERE, "..", "..", "shared"))
TOOLS = os.path.join(SHARED, "tools")
WORK = os.environ.get("KILN_BENCH_DIR", "/tmp/kiln-bench-scaling")


def timed(cmd, env):
    """Runs cmd under /usr/bin/time -v; returns (seconds, peak RSS in MB)."""
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.stdout[-1500:]}\n{p.stderr[-1500:]}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", p.stderr)
    seconds = int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) / 1024
    return seconds, rss


def machine_state():
    load = open("/proc/loadavg").read().split()[:3]
    mem = {l.split(":")[0]: l.split()[1] for l in open("/proc/meminfo") if l.startswith(("MemTotal", "MemAvailable"))}
    top = subprocess.run("ps -eo pcpu,rss,comm --sort=-pcpu | head -8", shell=True, stdout=subprocess.PIPE, text=True).stdout
    return (f"- host: {os.uname().nodename}, {os.cpu_count()} CPUs, kernel {os.uname().release}\n"
            f"- load average: {' '.join(load)}; memory: {int(mem['MemAvailable']) // 1024} MB available of {int(mem['MemTotal']) // 1024} MB\n"
            f"- busiest processes at the start:\n\n```\n{top}```\n")


class Bench:
    def __init__(self, args):
        self.args = args
        self.reg = f"127.0.0.1:{args.port}"
        self.env = dict(os.environ, KILN_ROOT=os.path.join(WORK, "kiln-root"))
        self.rows = []
        self.trace_dir = os.path.join(WORK, "traces")
        os.makedirs(self.trace_dir, exist_ok=True)

    def kiln(self, *argv):
        return [self.args.kiln] + list(argv)

    def build(self, ctx, name, nocache=False):
        argv = ["build", "-q", "-t", f"{self.reg}/scaling/{name}:latest"]
        if nocache:
            argv.append("--no-cache")
        if self.args.trace:
            argv += ["--trace", os.path.join(self.trace_dir, f"{name}-{time.time_ns()}.json")]
        return timed(self.kiln(*argv, ctx), self.env)

    def record(self, scenario, size, phase, results):
        seconds = statistics.median(r[0] for r in results)
        rss = max(r[1] for r in results)
        self.rows.append((scenario, size, phase, seconds, rss))
        print(f"{scenario:8} {size:>8} {phase:12} {seconds:8.3f} s {rss:8.1f} MB", file=sys.stderr)

    def runs(self, body):
        return [body() for _ in range(self.args.runs)]

    # Scenarios -----------------------------------------------------------------------------------

    def context(self, count):
        ctx = os.path.join(WORK, f"context-{count}")
        if not os.path.exists(os.path.join(ctx, ".done")):
            shutil.rmtree(ctx, ignore_errors=True)
            rnd = random.Random(count)
            per_dir = 50
            for i in range(count):
                d = os.path.join(ctx, "src", f"d{i // (per_dir * per_dir)}", f"e{(i // per_dir) % per_dir}")
                os.makedirs(d, exist_ok=True)
                with open(os.path.join(d, f"f{i}.txt"), "wb") as f:
                    f.write(rnd.randbytes(rnd.choice([100, 1000, 4000, 20000]) // 2).hex().encode())
            with open(os.path.join(ctx, ".dockerignore"), "w") as f:
                f.write(".done\n")
            open(os.path.join(ctx, ".done"), "w").close()
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write(f"FROM {self.reg}/fixture/busybox:latest\nWORKDIR /app\nCOPY . .\n")
        name = f"context-{count}"
        label = f"{count} files"
        self.record("context", label, "cold", self.runs(lambda: self.build(ctx, name, nocache=True)))
        self.record("context", label, "no-op", self.runs(lambda: self.build(ctx, name)))

        def one_change():
            with open(os.path.join(ctx, "src", "d0", "e0", "f0.txt"), "ab") as f:
                f.write(b"//%d\n" % time.time_ns())
            return self.build(ctx, name)
        self.record("context", label, "one change", self.runs(one_change))

    def layer(self, megabytes):
        ctx = os.path.join(WORK, f"layer-{megabytes}")
        os.makedirs(ctx, exist_ok=True)
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write(f"FROM {self.reg}/fixture/busybox:latest\nRUN head -c {megabytes << 20} /dev/urandom > /blob.bin\n")
        name = f"layer-{megabytes}"
        label = f"{megabytes} MB"
        self.record("layer", label, "cold", self.runs(lambda: self.build(ctx, name, nocache=True)))
        # Each push sends a new layer (cold builds write new random bytes): compressed once, then sent.
        self.record("layer", label, "push", self.runs(
            lambda: (self.build(ctx, name, nocache=True), timed(self.kiln("push", "-q", f"{self.reg}/scaling/{name}:latest"), self.env))[1]))

    def steps(self, count):
        ctx = os.path.join(WORK, f"steps-{count}")
        os.makedirs(ctx, exist_ok=True)
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write(f"FROM {self.reg}/fixture/busybox:latest\n")
            for i in range(1, count + 1):
                f.write(f"RUN echo step{i} > /f{i}\n")
        name = f"steps-{count}"
        label = f"{count} RUN"
        self.record("steps", label, "cold", self.runs(lambda: self.build(ctx, name, nocache=True)))
        self.record("steps", label, "no-op", self.runs(lambda: self.build(ctx, name)))

    def stages(self, count):
        ctx = os.path.join(WORK, f"stages-{count}")
        os.makedirs(ctx, exist_ok=True)
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            for s in range(count):
                f.write(f"FROM {self.reg}/fixture/busybox:latest AS s{s}\nRUN sleep 1 && echo {s} > /s{s}\n")
            f.write(f"FROM {self.reg}/fixture/busybox:latest\n")
            for s in range(count):
                f.write(f"COPY --from=s{s} /s{s} /s{s}\n")
        name = f"stages-{count}"
        self.record("stages", f"{count} stages", "cold", self.runs(lambda: self.build(ctx, name, nocache=True)))

    def table(self):
        out = "| scenario | size | phase | wall s | peak RSS MB |\n|---|---|---|---|---|\n"
        for scenario, size, phase, seconds, rss in self.rows:
            out += f"| {scenario} | {size} | {phase} | {seconds:.3f} | {rss:.1f} |\n"
        return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kiln", default=os.path.join(HERE, "..", ".build", "release", "kiln"))
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--only", default="context,layer,steps,stages")
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--trace", action="store_true")
    ap.add_argument("--port", type=int, default=5031)
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    args.kiln = os.path.abspath(args.kiln)
    sizes = {
        "context": [1_000, 10_000, 100_000], "layer": [10, 100, 1024], "steps": [10, 30, 100], "stages": [1, 3, 8],
    }
    if args.tiny:
        sizes = {"context": [50, 100], "layer": [1, 2], "steps": [2, 3], "stages": [1, 2]}
    os.makedirs(WORK, exist_ok=True)
    started = machine_state()
    registry = os.path.join(TOOLS, "local-registry")
    subprocess.run([registry, "start", str(args.port)], check=True, stdout=subprocess.DEVNULL)
    bench = Bench(args)
    try:
        subprocess.run([registry, "seed", str(args.port)], check=True, stdout=subprocess.DEVNULL)
        for scenario in args.only.split(","):
            for size in sizes[scenario]:
                getattr(bench, scenario)(size)
    finally:
        subprocess.run([registry, "stop", str(args.port)], stdout=subprocess.DEVNULL)
    version = subprocess.run([args.kiln, "--version"], stdout=subprocess.PIPE, text=True).stdout.strip()
    report = (f"# kiln scaling curves{' (tiny sizes: proves the script, measures nothing)' if args.tiny else ''}\n\n"
              f"`bench/scaling.py --runs {args.runs}{' --tiny' if args.tiny else ''}`, kiln {version} ({args.kiln}), "
              f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n\nMachine at the start:\n\n{started}\n"
              f"Machine at the end: load average {' '.join(open('/proc/loadavg').read().split()[:3])}\n\n{bench.table()}")
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)


if __name__ == "__main__":
    main()

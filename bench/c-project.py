#!/usr/bin/env python3
"""The issue-13 "real C project" row: bench/c-project (Debian + apt-get install build-essential, make, the
binary on busybox), Docker/BuildKit vs kiln, builders interleaved run by run, median of N runs.

usage: bench/c-project.py [--kiln PATH] [--builders docker,kiln] [--runs N] [--registry 127.0.0.1:PORT]

Rows: cold (--no-cache: apt-get, compile, every layer) and one source file changed (the COPY of src/, make
and the final COPY run again). The builders are shared/bench/compare.py's own (the same command lines:
`docker build -q --network=host`, `kiln build -q`), so this row is measured the way the others are. Needs the
Debian base (shared/tools/debian-base pushes it to the registry) and Debian's package mirror.
"""
import argparse, importlib.util, os, shutil, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("KILN_SHARED", os.path.join(HERE, "..", "..", "shared"))
spec = importlib.util.spec_from_file_location("compare", os.path.join(SHARED, "bench", "compare.py"))
compare = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compare)


def context(reg):
    ctx = os.path.join(compare.WORK, "c-project")
    shutil.rmtree(ctx, ignore_errors=True)
    shutil.copytree(os.path.join(HERE, "c-project"), ctx)
    path = os.path.join(ctx, "Dockerfile")
    text = open(path).read().replace("127.0.0.1:5000", reg)
    open(path, "w").write(text)
    return ctx


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--builders", default="docker,kiln")
    ap.add_argument("--kiln", default="kiln")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--registry", default="127.0.0.1:5000")
    args = ap.parse_args()
    reg, port = args.registry, args.registry.split(":")[1]
    tools = os.path.join(SHARED, "tools")
    subprocess.run([os.path.join(tools, "local-registry"), "start", port], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([os.path.join(tools, "local-registry"), "seed", port], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([os.path.join(tools, "debian-base"), reg], check=True, stdout=subprocess.DEVNULL)
    os.makedirs(compare.WORK, exist_ok=True)
    ctx = context(reg)
    builders = [compare.Builder(n, args, reg) for n in args.builders.split(",")]
    results = {}
    for run in range(args.runs):
        for b in builders:
            cold = b.build(ctx, "c-project", nocache=True)
            with open(os.path.join(ctx, "src", "words.c"), "a") as f:
                f.write(f"/* changed {time.time_ns()} */\n")
            one = b.build(ctx, "c-project")
            for k, v in (("c-project cold", cold), ("c-project 1 source changed", one)):
                results.setdefault(k, {}).setdefault(b.name, []).append(v)
    names = [b.name for b in builders]
    print("| scenario | " + " | ".join(f"{n} s" for n in names) + (" | kiln/docker |" if "docker" in names and "kiln" in names else " |"))
    print("|---" * (len(names) + 1 + ("docker" in names and "kiln" in names)) + "|")
    for k, per in results.items():
        med = {n: statistics.median(per[n]) for n in names}
        cells = [f"{med[n]:.2f}" for n in names]
        if "docker" in med and "kiln" in med:
            cells.append(f"{med['kiln'] / med['docker']:.2f}")
        print(f"| {k} | " + " | ".join(cells) + " |")
    # Every run, in the order run (builders interleaved): the mirror's speed moves both builders' cold rows.
    print()
    for k, per in results.items():
        print(f"{k}, each run: " + "; ".join(f"{n} " + " ".join(f"{v:.2f}" for v in per[n]) for n in names))


if __name__ == "__main__":
    main()

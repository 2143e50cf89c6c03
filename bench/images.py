#!/usr/bin/env python3
"""Image transfer benchmark (issue 3): kiln beside skopeo and Docker on the same machine, same run.

  pull-debian   pull 127.0.0.1:PORT/fixture/debian:bookworm (shared/tools/debian-base, ~200 MB) into an empty store
  push-512mb    push a 512 MB one-layer image (256 MB random + 256 MB zeros) to an empty registry

kiln:   `kiln pull -q` into a fresh KILN_ROOT; `kiln push -q`.
skopeo: `skopeo copy docker://… oci:EMPTYDIR:tag`; `skopeo copy oci:$KILN_ROOT:REF docker://…` (same image).
docker: a private reference engine (shared/tools/reference-docker with its own data root under the bench
        folder, so no other image shares the pulled layers): `docker pull -q` after `rmi`; `docker push -q`
        of the same image, loaded beforehand from `kiln save` (the load is not timed). Stopped at the end.

Each figure is the median of N runs (default 3), tools interleaved. Every push goes to a registry started
empty for that run, so no tool finds blobs already there.

usage: images.py [--kiln PATH] [--runs N] [--tools kiln,skopeo,docker] [--json OUT]
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("KILN_SHARED", os.path.join(HERE, "..", "..", "shared"))
TOOLS = os.path.join(SHARED, "tools")
WORK = os.environ.get("KILN_BENCH_DIR", "/tmp/kiln-bench-images")
BASE_PORT, PUSH_PORT = 5000, 5020


def sh(cmd, env=None):
    t = time.monotonic()
    p = subprocess.run(cmd, shell=True, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"command failed ({p.returncode}): {cmd}\n{p.stdout[-2000:]}")
    return time.monotonic() - t


def fresh_registry(port):
    subprocess.run([os.path.join(TOOLS, "local-registry"), "stop", str(port)], stdout=subprocess.DEVNULL)
    shutil.rmtree(os.path.join(os.environ.get("KILN_TEST_TMP", "/tmp"), f"kiln-registry-{port}"), ignore_errors=True)
    subprocess.run([os.path.join(TOOLS, "local-registry"), "start", str(port)], check=True, stdout=subprocess.DEVNULL)


def make_big_image(kiln, env):
    """A 512 MB rootfs tar imported into kiln's store as bench/big:latest (one layer)."""
    d = os.path.join(WORK, "big-rootfs")
    tar = os.path.join(WORK, "big.tar")
    if not os.path.exists(tar):
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "random.bin"), "wb") as f:
            f.write(os.urandom(256 << 20))
        with open(os.path.join(d, "zeros.bin"), "wb") as f:
            f.write(bytes(256 << 20))
        sh(f"tar -C {d} -cf {tar} .")
    sh(f"{kiln} import -c 'CMD [\"sh\"]' {tar} bench/big:latest", env)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kiln", default=os.path.join(HERE, "..", ".build", "release", "kiln"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tools", default="kiln,skopeo,docker")
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    tools = args.tools.split(",")
    os.makedirs(WORK, exist_ok=True)
    kenv = dict(os.environ, KILN_ROOT=os.path.join(WORK, "kiln-root"))
    denv = dict(os.environ, KILN_TEST_TMP=os.path.join(WORK, "docker"))
    if "docker" in tools:
        os.makedirs(denv["KILN_TEST_TMP"], exist_ok=True)
        out = subprocess.run([os.path.join(TOOLS, "reference-docker"), "start"], stdout=subprocess.PIPE, text=True,
                             check=True, env=denv).stdout
        for part in out.replace("export ", "").split():
            k, v = part.split("=", 1)
            denv[k] = v
    subprocess.run([os.path.join(TOOLS, "local-registry"), "start", str(BASE_PORT)], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([os.path.join(TOOLS, "local-registry"), "seed", str(BASE_PORT)], check=True, stdout=subprocess.DEVNULL)
    debian = subprocess.run([os.path.join(TOOLS, "debian-base"), f"127.0.0.1:{BASE_PORT}"], check=True,
                            stdout=subprocess.PIPE, text=True).stdout.split()[-1]
    make_big_image(args.kiln, kenv)
    if "docker" in tools:
        sh(f"{args.kiln} save -o {WORK}/big-docker.tar bench/big:latest", kenv)
        sh(f"/usr/bin/docker load -q -i {WORK}/big-docker.tar", denv)

    results = {}
    def record(name, tool, seconds):
        results.setdefault(name, {}).setdefault(tool, []).append(seconds)

    for run in range(args.runs):
        for tool in tools:
            try:
                if tool == "kiln":
                    root = os.path.join(WORK, "kiln-pull-root")
                    shutil.rmtree(root, ignore_errors=True)
                    record("pull-debian", tool, sh(f"{args.kiln} pull -q {debian}", dict(os.environ, KILN_ROOT=root)))
                    fresh_registry(PUSH_PORT)
                    ref = f"127.0.0.1:{PUSH_PORT}/bench/big:latest"
                    sh(f"{args.kiln} tag bench/big:latest {ref}", kenv)
                    record("push-512mb", tool, sh(f"{args.kiln} push -q {ref}", kenv))
                elif tool == "skopeo":
                    dest = os.path.join(WORK, "skopeo-layout")
                    shutil.rmtree(dest, ignore_errors=True)
                    record("pull-debian", tool, sh(f"skopeo copy -q --src-tls-verify=false docker://{debian} oci:{dest}:bookworm"))
                    fresh_registry(PUSH_PORT)
                    src = f"oci:{kenv['KILN_ROOT']}:docker.io/bench/big:latest"
                    record("push-512mb", tool, sh(f"skopeo copy -q --dest-tls-verify=false {src} docker://127.0.0.1:{PUSH_PORT}/bench/big:latest"))
                elif tool == "docker":
                    subprocess.run(f"/usr/bin/docker rmi -f {debian}", shell=True, env=denv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    record("pull-debian", tool, sh(f"/usr/bin/docker pull -q {debian}", denv))
                    fresh_registry(PUSH_PORT)
                    ref = f"127.0.0.1:{PUSH_PORT}/bench/big:latest"
                    sh(f"/usr/bin/docker tag bench/big:latest {ref}", denv)
                    record("push-512mb", tool, sh(f"/usr/bin/docker push -q {ref}", denv))
            except Exception as e:  # a tool that fails is reported, not fatal
                print(f"{tool}: {str(e).splitlines()[0]}", file=sys.stderr)

    print("| scenario | " + " | ".join(f"{t} s" for t in tools) + "".join(f" | kiln/{t}" for t in tools if t != "kiln") + " |")
    print("|---" * (1 + 2 * len(tools) - 1) + "|")
    summary = {}
    for name, per in results.items():
        med = {t: statistics.median(per[t]) if per.get(t) else None for t in tools}
        summary[name] = med
        cells = [f"{med[t]:.2f}" if med[t] else "fail" for t in tools]
        cells += [f"{med['kiln'] / med[t]:.2f}" if med.get("kiln") and med[t] else "-" for t in tools if t != "kiln"]
        print(f"| {name} | " + " | ".join(cells) + " |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=1)
    if "docker" in tools:
        subprocess.run([os.path.join(TOOLS, "reference-docker"), "stop"], env=denv)


if __name__ == "__main__":
    main()

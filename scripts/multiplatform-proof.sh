#!/usr/bin/env bash
# Issue 19's proof on a real distribution: examples/multiplatform (gcc compiling C in a Debian build
# stage, the static binary copied into a busybox final stage) built for linux/amd64 and linux/arm64 in
# one `kiln build --platform linux/amd64,linux/arm64 --push`, then checked with tools that are not kiln:
#   - `skopeo inspect --raw` of the pushed tag is an OCI image index with one image per platform;
#   - the arm64 image's binary (its layer unpacked from the registry by skopeo + tar) is an aarch64 ELF
#     according to `file`, the amd64 one an x86-64 ELF;
#   - `kiln run --platform linux/arm64` (fresh store, pulled from the registry) runs it under QEMU and it
#     prints its output; `kiln run --platform linux/amd64` runs natively;
#   - each platform's image in the index has the image ID (config digest) of a single-platform kiln build
#     of that platform, made in another store (SOURCE_DATE_EPOCH set, --no-cache);
#   - the two-platform build's time against the slower single-platform one (goal: <= slower + 20%).
# Every build is --no-cache with the base images already pulled, so the times are of the build work
# (apt-get update/install from the machine's Debian mirror, gcc, layers), not of pulling.
#
#   scripts/multiplatform-proof.sh [KILN]     KILN defaults to .build/debug/kiln of this checkout
#
# Root only. Starts its own registry (shared/tools/local-registry) on a free loopback port and stops it
# at the end. The Debian bases come from scripts/debian-arm64-base.sh (cached after the first run).
# Prints a Markdown report on stdout (bench/results/20261204-multiplatform-debian.md is one); exits
# non-zero, naming the check, when any check fails. KEEP=1 keeps the work directory.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
kiln=${1:-$here/.build/debug/kiln}
shared=${KILN_SHARED:-$here/../shared}
[[ -x $shared/tools/local-registry ]] || shared=/work/shared
epoch=1700000000
[[ $(id -u) == 0 ]] || { echo "multiplatform-proof: needs root" >&2; exit 1; }
[[ -x $kiln ]] || { echo "multiplatform-proof: no kiln binary at $kiln (swift build first)" >&2; exit 1; }
command -v file >/dev/null || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq file >/dev/null; }

work=$(mktemp -d /tmp/kiln-multiplatform-proof.XXXXXX)
export KILN_TEST_TMP=$work
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
reg=127.0.0.1:$port
cleanup() {
  "$shared/tools/local-registry" stop "$port" || true
  if [[ -z ${KEEP:-} ]]; then rm -rf "$work"; else echo "multiplatform-proof: kept $work" >&2; fi
}
trap cleanup EXIT
fail() { echo "multiplatform-proof: FAILED: $*" >&2; exit 1; }
say() { echo "multiplatform-proof: $*" >&2; }

"$shared/tools/local-registry" start "$port" >/dev/null
"$shared/tools/local-registry" seed "$port" >/dev/null
"$kiln" setup-binfmt >&2
base=$("$here/scripts/debian-arm64-base.sh" "$reg")
runtime=$reg/fixture/busybox-multi:latest
context=$here/examples/multiplatform
args=(--no-cache -q --build-arg "SOURCE_DATE_EPOCH=$epoch" --build-arg "BASE=$base" --build-arg "RUNTIME=$runtime")

# The base images in the store before each build (its platforms), so that no timed build pulls layers.
warm() {
  local store=$1; shift
  for platform in "$@"; do
    for image in "$base" "$runtime"; do
      "$kiln" pull -q --root "$work/$store" --platform "$platform" "$image" >/dev/null
    done
  done
}

# Seconds, to the hundredth, that a command takes; its output goes to $work/log-NAME.
timed() {
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  "$@" >"$work/log-$name" 2>&1 || { cat "$work/log-$name" >&2; fail "$name: \`$*\` exited non-zero"; }
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.2f}')"
}

say "single-platform builds (store $work/single)"
warm single linux/amd64
t_amd64=$(timed amd64 "$kiln" build --root "$work/single" "${args[@]}" --platform linux/amd64 \
  --iidfile "$work/iid-amd64" -t "$reg/kiln-proof/hello-arch:amd64" "$context")
warm single linux/arm64
t_arm64=$(timed arm64 "$kiln" build --root "$work/single" "${args[@]}" --platform linux/arm64 \
  --iidfile "$work/iid-arm64" -t "$reg/kiln-proof/hello-arch:arm64" "$context")
warm multi linux/amd64 linux/arm64
say "two-platform build and push (store $work/multi)"
ref=$reg/kiln-proof/hello-arch:latest
t_multi=$(timed multi "$kiln" build --root "$work/multi" "${args[@]}" --platform linux/amd64,linux/arm64 \
  --push -t "$ref" "$context")
! grep -h InvalidBaseImagePlatform "$work"/log-* >&2 || fail "a build used a base image of another platform"

# The index, as the registry serves it.
skopeo inspect --raw --tls-verify=false "docker://$ref" >"$work/index.json"
python3 - "$work/index.json" >"$work/entries" <<'PY' || fail "the pushed tag is not an image index of linux/amd64 and linux/arm64 images"
import json, sys
index = json.load(open(sys.argv[1]))
assert index["schemaVersion"] == 2, "schemaVersion"
assert index["mediaType"] in ("application/vnd.oci.image.index.v1+json",
                              "application/vnd.docker.distribution.manifest.list.v2+json"), index.get("mediaType")
images = [m for m in index["manifests"]
          if m["mediaType"] in ("application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json")
          and m.get("platform", {}).get("architecture") != "unknown"]
platforms = sorted(m["platform"]["os"] + "/" + m["platform"]["architecture"] for m in images)
assert platforms == ["linux/amd64", "linux/arm64"], platforms
for m in images:
    assert m["digest"].startswith("sha256:") and len(m["digest"]) == 71 and m["size"] > 0, m
    print(m["platform"]["architecture"], m["digest"])
PY

declare -A id_in_index binary_file
while read -r arch digest; do
  # image ID = the config digest of the platform's manifest (from the registry, through skopeo)
  id_in_index[$arch]=$(skopeo inspect --raw --tls-verify=false "docker://$reg/kiln-proof/hello-arch@$digest" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["config"]["digest"])')
  # the binary, out of the image's layers as skopeo copies them from the registry
  layout=$work/oci-$arch
  skopeo copy -q --src-tls-verify=false "docker://$reg/kiln-proof/hello-arch@$digest" "oci:$layout:x"
  mkdir -p "$work/rootfs-$arch"
  for layer in $(python3 -c 'import json, sys
d = sys.argv[1]
top = json.load(open(d + "/index.json"))["manifests"][0]["digest"].split(":")[1]
for l in json.load(open(d + "/blobs/sha256/" + top))["layers"]: print(l["digest"].split(":")[1])' "$layout"); do
    tar -xf "$layout/blobs/sha256/$layer" -C "$work/rootfs-$arch" 2>/dev/null || tar -xzf "$layout/blobs/sha256/$layer" -C "$work/rootfs-$arch"
  done
  binary_file[$arch]=$(file -b "$work/rootfs-$arch/usr/local/bin/hello-arch")
done <"$work/entries"
[[ ${binary_file[arm64]} == *"ELF 64-bit"*"ARM aarch64"* ]] || fail "the arm64 binary is not an aarch64 ELF: ${binary_file[arm64]}"
[[ ${binary_file[amd64]} == *"ELF 64-bit"*"x86-64"* ]] || fail "the amd64 binary is not an x86-64 ELF: ${binary_file[amd64]}"

# Run each, from the registry into a fresh store.
run_arm64=$("$kiln" run --rm --root "$work/run" --platform linux/arm64 "$ref" 2>"$work/log-run-arm64") \
  || { cat "$work/log-run-arm64" >&2; fail "kiln run --platform linux/arm64"; }
run_amd64=$("$kiln" run --rm --root "$work/run" --platform linux/amd64 "$ref" 2>"$work/log-run-amd64") \
  || { cat "$work/log-run-amd64" >&2; fail "kiln run --platform linux/amd64"; }
[[ $run_arm64 == "Hello from linux/arm64: compiled for aarch64, running on aarch64" ]] || fail "arm64 output: $run_arm64"
[[ $run_amd64 == "Hello from linux/amd64: compiled for x86_64, running on x86_64" ]] || fail "amd64 output: $run_amd64"
host_machine=$(uname -m)

# Same images as the single-platform builds.
iid_amd64=$(cat "$work/iid-amd64") iid_arm64=$(cat "$work/iid-arm64")
[[ $iid_amd64 == "${id_in_index[amd64]}" ]] || fail "linux/amd64: index image ${id_in_index[amd64]}, single build $iid_amd64"
[[ $iid_arm64 == "${id_in_index[arm64]}" ]] || fail "linux/arm64: index image ${id_in_index[arm64]}, single build $iid_arm64"

read -r slower limit ratio verdict < <(python3 -c "
a, b, m = $t_amd64, $t_arm64, $t_multi
s = max(a, b)
print(f'{s:.2f} {s * 1.2:.2f} {m / s:.2f} ' + ('met' if m <= s * 1.2 else 'NOT-met'))")

cat <<EOF
# examples/multiplatform for linux/amd64 + linux/arm64 on Debian bookworm (issue 19), $(date -u +%Y-%m-%d)

\`scripts/multiplatform-proof.sh\` on this machine: $(nproc) cores shared with other jobs (load average
$(cut -d' ' -f1-3 /proc/loadavg) at the end), $host_machine, $(qemu-aarch64-static --version 2>/dev/null | head -1 || echo "qemu-aarch64"),
binfmt_misc handler $(awk '$1 == "flags:" {print "flags " $2}' /proc/sys/fs/binfmt_misc/qemu-aarch64).
Bases: \`$base\` (amd64 = shared/tools/debian-base, arm64 = \`debootstrap --arch=arm64 --foreign\` +
second stage under qemu-aarch64, one index: scripts/debian-arm64-base.sh) and \`$runtime\`.

## The index (\`skopeo inspect --raw docker://$ref\`)

\`\`\`json
$(python3 -m json.tool "$work/index.json")
\`\`\`

## Checks

| check | result |
|---|---|
| pushed tag is an image index of linux/amd64 + linux/arm64 images | yes |
| \`file\` of arm64 /usr/local/bin/hello-arch | ${binary_file[arm64]%%, BuildID*} |
| \`file\` of amd64 /usr/local/bin/hello-arch | ${binary_file[amd64]%%, BuildID*} |
| \`kiln run --platform linux/arm64\` (QEMU) | \`$run_arm64\` |
| \`kiln run --platform linux/amd64\` (native) | \`$run_amd64\` |
| linux/amd64 image ID: index = single-platform build | \`${id_in_index[amd64]}\` = \`$iid_amd64\` |
| linux/arm64 image ID: index = single-platform build | \`${id_in_index[arm64]}\` = \`$iid_arm64\` |

## Build times (\`kiln build --no-cache -q\`, base images already in the store)

| \`--platform\` | seconds |
|---|---|
| linux/amd64 | $t_amd64 |
| linux/arm64 (every RUN under QEMU) | $t_arm64 |
| linux/amd64,linux/arm64 (one index, \`--push\`) | $t_multi |

Two platforms in one build: $t_multi s = $ratio x the slower single build ($slower s); goal <= slower + 20%
($limit s): $verdict. One run of each on a shared machine: indicative, not a careful benchmark. The
two-platform build also pushes (both images' blobs and the index, to a loopback registry); the single-platform builds do not.
EOF
[[ $verdict == met ]] || say "the time goal was not met ($t_multi s > $limit s)"
say "all checks passed"

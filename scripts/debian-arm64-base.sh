#!/usr/bin/env bash
# A Debian bookworm base for linux/amd64 AND linux/arm64, pushed as one image index (issue 19's proof on a
# real distribution). The amd64 half is shared/tools/debian-base's image (debootstrap minbase); the arm64
# half is made the same way for the foreign architecture:
#   debootstrap --arch=arm64 --foreign   (first stage: unpacks the .debs, runs nothing of arm64)
#   chroot ROOTFS /debootstrap/debootstrap --second-stage   (the arm64 dpkg/maintainer scripts run under
#                                        qemu-aarch64 through binfmt_misc: `kiln setup-binfmt`)
# from the Debian mirror this machine's apt uses. Both root filesystems are packed with
# shared/fixtures/mkbase.py (uid/gid 0, mtime 0) into one OCI layout, wrapped into an index by
# shared/fixtures/mkindex.py and pushed with `skopeo copy --all`.
#
#   scripts/debian-arm64-base.sh [REGISTRY]   default 127.0.0.1:5000; prints REGISTRY/fixture/debian-multi:bookworm
#
# Root only (debootstrap, chroot). The arm64 root filesystem is cached under
# ${KILN_CACHE:-/var/cache/kiln-test}/debian-arm64-rootfs: only the first call takes minutes (the second
# stage is emulated). KILN_SHARED (default: ../shared next to this checkout) locates shared/.
set -euo pipefail
reg=${1:-127.0.0.1:5000}
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${KILN_SHARED:-$here/../shared}
[[ -x $shared/tools/debian-base ]] || shared=/work/shared
cache=${KILN_CACHE:-/var/cache/kiln-test}
arch=arm64 qemu=aarch64
need() { command -v "$1" >/dev/null || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }; }
need debootstrap debootstrap
need skopeo skopeo
need python3 python3
[[ $(id -u) == 0 ]] || { echo "debian-arm64-base: needs root (debootstrap, chroot)" >&2; exit 1; }

# The emulator: a binfmt_misc handler for aarch64 ELF binaries. With the F flag (what `kiln setup-binfmt`
# registers) the kernel opens the interpreter at registration, so nothing has to be copied into the chroot;
# without it, the interpreter is copied to its path inside the root filesystem for the second stage.
handler=/proc/sys/fs/binfmt_misc/qemu-$qemu
if [[ ! -f $handler ]] || ! grep -qx enabled "$handler"; then
  echo "debian-arm64-base: no binfmt_misc handler for $qemu (as root: \`kiln setup-binfmt\`, after apt-get install qemu-user-static)" >&2
  exit 1
fi
interp=$(awk '$1 == "interpreter" {print $2}' "$handler")
fix_binary=no
grep -q '^flags:.*F' "$handler" && fix_binary=yes

mkdir -p "$cache"
rootfs=$cache/debian-$arch-rootfs
if [[ ! -f $rootfs/etc/debian_version || -d $rootfs/debootstrap ]]; then
  rm -rf "$rootfs.tmp"
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null)
  [[ -n $mirror ]] || mirror=$(awk '$1 == "deb" && $2 !~ /^\[/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  [[ -n $mirror ]] || { echo "debian-arm64-base: no Debian mirror found in the apt sources" >&2; exit 1; }
  log=$cache/debootstrap-$arch.log
  echo "debian-arm64-base: first stage (debootstrap --arch=$arch --foreign, $mirror)" >&2
  debootstrap --arch=$arch --foreign --variant=minbase bookworm "$rootfs.tmp" "$mirror" >"$log" 2>&1 \
    || { echo "debian-arm64-base: first stage failed; see $log" >&2; exit 1; }
  copied=""
  if [[ $fix_binary == no ]]; then
    mkdir -p "$rootfs.tmp$(dirname "$interp")"
    cp "$interp" "$rootfs.tmp$interp"
    copied=$rootfs.tmp$interp
  fi
  echo "debian-arm64-base: second stage under qemu-$qemu ($interp)" >&2
  chroot "$rootfs.tmp" /debootstrap/debootstrap --second-stage >>"$log" 2>&1 \
    || { echo "debian-arm64-base: second stage failed; see $log" >&2; exit 1; }
  [[ -z $copied ]] || rm -f "$copied"
  # the machine's mirror for apt inside the image, as debootstrap's amd64 base has it
  rm -rf "$rootfs.tmp"/var/cache/apt/archives/*.deb "$rootfs.tmp"/var/lib/apt/lists/*
  [[ -f $rootfs.tmp/etc/debian_version && ! -d $rootfs.tmp/debootstrap ]] \
    || { echo "debian-arm64-base: second stage left no finished root filesystem; see $log" >&2; exit 1; }
  rm -rf "$rootfs"
  mv "$rootfs.tmp" "$rootfs"
fi

# The amd64 half: shared/tools/debian-base makes (and caches) it, and pushes it as fixture/debian:bookworm.
"$shared/tools/debian-base" "$reg" >/dev/null
layout=$cache/debian-multi-layout
if [[ ! -f $layout/index.json ]]; then
  rm -rf "$layout.tmp"
  python3 "$shared/fixtures/mkbase.py" "$cache/debian-rootfs" "$layout.tmp" debian:bookworm amd64 >/dev/null
  python3 "$shared/fixtures/mkbase.py" "$rootfs" "$layout.tmp" debian:bookworm $arch >/dev/null
  python3 "$shared/fixtures/mkindex.py" "$layout.tmp" bookworm >/dev/null
  mv "$layout.tmp" "$layout"
fi
skopeo copy -q --all --dest-tls-verify=false "oci:$layout:bookworm" "docker://$reg/fixture/debian-multi:bookworm"
echo "$reg/fixture/debian-multi:bookworm"

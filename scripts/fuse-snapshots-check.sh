#!/usr/bin/env bash
# The fuse-overlayfs snapshot tier (issue 17), forced with KILN_SNAPSHOTS=fuse: a Dockerfile whose RUN
# steps delete files (whiteouts), remove and remake directories (opaque directories), change metadata
# only and add hard links gives the same image ID as with the kernel's overlayfs, as root and as a new
# user (rootless, with a subordinate range); `kiln run` works from a fuse-overlayfs root filesystem; no
# fuse-overlayfs daemon or mount is left, also after a build SIGKILLed during a RUN step; a store the
# kernel refuses an overlay upper directory on (an overlay mount itself) falls back to fuse-overlayfs
# with one note, and gives the same image ID. Usage (as root): scripts/fuse-snapshots-check.sh KILN
# Needs fuse-overlayfs (apt-get install fuse-overlayfs) and /dev/fuse; /dev/fuse is made 0666 (Debian's
# udev default) for the user's part and restored after.
set -euo pipefail
KILN=$(readlink -f "${1:?usage: fuse-snapshots-check.sh KILN}")
repo=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "fuse-snapshots-check: run as root (it creates a test user)" >&2; exit 2; }
command -v fuse-overlayfs >/dev/null || { echo "fuse-snapshots-check: fuse-overlayfs is not installed" >&2; exit 3; }
[ -c /dev/fuse ] || { echo "fuse-snapshots-check: /dev/fuse is missing" >&2; exit 3; }
user="kilnfu$$"
work=$(mktemp -d /tmp/kiln-fuse.XXXXXX)
chmod 755 "$work"
fuse_mode=$(stat -c %a /dev/fuse)
. "$(cd "$(dirname "$0")" && pwd)/test-user.sh"
as_user() { runuser -u "$user" -- env -i HOME="$work/home" PATH=/usr/sbin:/usr/bin:/sbin:/bin SOURCE_DATE_EPOCH=1700000000 "$@"; }
cleanup() {
  test_user_remove "$user"
  chmod "$fuse_mode" /dev/fuse
  rm -rf "$work"
}
trap cleanup EXIT
still() {  # a fuse-overlayfs daemon or mount under $work
  pgrep -f "fuse-overlayfs .*$work" >/dev/null || grep -q "$work.* fuse.fuse-overlayfs" /proc/self/mountinfo
}
left_over() {  # a fuse-overlayfs daemon or mount under $work
  if still; then
    echo "FAIL: fuse-overlayfs left running or mounted after $1" >&2; exit 1
  fi
}

export KILN_ROOT="$work/store" SOURCE_DATE_EPOCH=1700000000
bash "$repo/scripts/make-base-image.sh" "$KILN" kiln-busybox:latest >/dev/null
"$KILN" save -o "$work/base.tar" kiln-busybox:latest
chmod a+r "$work/base.tar"
mkdir -p "$work/ctx"
cat > "$work/ctx/Dockerfile" <<'DOCKERFILE'
FROM kiln-busybox:latest
RUN mkdir -p /a/b/c && echo old > /a/b/f && echo old > /a/keep && echo x > /etc/x && ln -s /a/keep /a/link && mkdir -p /d/e && echo 1 > /d/e/g
RUN rm /etc/x && rm -rf /a && mkdir /a && echo new > /a/g && chmod 700 /d && rm -rf /d/e && ln /bin/busybox /bin/hard && touch -d @5 /etc/passwd
RUN echo more >> /a/g && mkdir -p /x/y/z && echo z > /x/y/z/file && rm -rf /x/y && mkdir /x/y && ln /a/g /a/g2
DOCKERFILE
chmod -R a+rX "$work/ctx"
expected=$(printf 'g\ng2\nnew\nmore\n0')
check='ls /a; cat /a/g; test ! -e /etc/x && test ! -e /d/e && ls /x/y | wc -l'

echo "== root"
overlay=$(KILN_SNAPSHOTS=overlay "$KILN" build -q --no-cache -t fuse-check:overlay "$work/ctx")
fuse=$(KILN_SNAPSHOTS=fuse "$KILN" build -q --no-cache -t fuse-check:fuse "$work/ctx")
[ "$overlay" = "$fuse" ] || { echo "FAIL: root: overlayfs gives $overlay, fuse-overlayfs $fuse" >&2; exit 1; }
echo "same image ID with overlayfs and fuse-overlayfs as root: $fuse"
left_over "root's builds"
content=$(KILN_SNAPSHOTS=fuse "$KILN" run --rm --network none fuse-check:fuse sh -c "$check")
[ "$content" = "$expected" ] || { echo "FAIL: root: content: $content" >&2; exit 1; }
echo "kiln run as root from a fuse-overlayfs root filesystem: /a remade, /etc/x and /d/e deleted"
left_over "root's kiln run"

mkdir -p "$work/slow"
printf 'FROM kiln-busybox:latest\nRUN echo started > /started && sleep 60\n' > "$work/slow/Dockerfile"
KILN_SNAPSHOTS=fuse "$KILN" build -q --no-cache "$work/slow" >/dev/null 2>&1 &
build=$!
for _ in $(seq 300); do grep -q "$work.* fuse.fuse-overlayfs" /proc/self/mountinfo && break; sleep 0.1; done
grep -q "$work.* fuse.fuse-overlayfs" /proc/self/mountinfo || { echo "FAIL: the slow build never mounted fuse-overlayfs" >&2; exit 1; }
sleep 1
kill -KILL "$build"; wait "$build" 2>/dev/null || true
for _ in $(seq 100); do still || break; sleep 0.1; done
left_over "a build SIGKILLed during its RUN step"
echo "a build SIGKILLed during a RUN step leaves no fuse-overlayfs daemon or mount"
unset KILN_ROOT

# A store on an overlay mount: the kernel refuses an upper directory there, fuse-overlayfs takes it.
mkdir -p "$work/ov/lower" "$work/ov/upper" "$work/ov/work" "$work/ov/merged"
mount -t overlay overlay -o "lowerdir=$work/ov/lower,upperdir=$work/ov/upper,workdir=$work/ov/work" "$work/ov/merged"
trap 'umount -l "$work/ov/merged" 2>/dev/null || true; cleanup' EXIT
export KILN_ROOT="$work/ov/merged/store"
"$KILN" load -q -i "$work/base.tar" >/dev/null
auto=$("$KILN" build -q --no-cache "$work/ctx" 2>"$work/notes")
[ "$auto" = "$fuse" ] || { echo "FAIL: store on an overlay: $auto, expected $fuse; $(cat "$work/notes")" >&2; exit 1; }
grep -q "kiln mounts root filesystems with fuse-overlayfs instead" "$work/notes" || { echo "FAIL: no note: $(cat "$work/notes")" >&2; exit 1; }
"$KILN" build -q --no-cache "$work/ctx" 2>"$work/notes2" >/dev/null
grep -q "fuse-overlayfs" "$work/notes2" && { echo "FAIL: the note came twice for one store" >&2; exit 1; }
echo "a store on an overlay mount falls back to fuse-overlayfs, noted once: $(head -c 120 "$work/notes")…"
left_over "the builds on an overlay store"
unset KILN_ROOT
umount "$work/ov/merged"
trap cleanup EXIT

echo "== a new user (rootless)"
test_user_create "$user" "$work/home" range
chmod 0666 /dev/fuse
as_user "$KILN" load -q -i "$work/base.tar" >/dev/null
u_overlay=$(as_user env KILN_SNAPSHOTS=overlay "$KILN" build -q --no-cache -t fuse-check:overlay "$work/ctx" 2>/dev/null)
u_fuse=$(as_user env KILN_SNAPSHOTS=fuse "$KILN" build -q --no-cache -t fuse-check:fuse "$work/ctx" 2>/dev/null)
[ "$u_overlay" = "$u_fuse" ] || { echo "FAIL: rootless: overlayfs gives $u_overlay, fuse-overlayfs $u_fuse" >&2; exit 1; }
[ "$u_fuse" = "$fuse" ] || { echo "FAIL: rootless fuse-overlayfs gives $u_fuse, root $fuse" >&2; exit 1; }
echo "same image ID with overlayfs and fuse-overlayfs rootless, and as root's: $u_fuse"
left_over "the user's builds"
content=$(as_user env KILN_SNAPSHOTS=fuse "$KILN" run --rm --network none fuse-check:fuse sh -c "$check")
[ "$content" = "$expected" ] || { echo "FAIL: rootless: content: $content" >&2; exit 1; }
echo "kiln run rootless from a fuse-overlayfs root filesystem: same content"
left_over "the user's kiln run"
chmod "$fuse_mode" /dev/fuse
if [ "$fuse_mode" != 666 ]; then
  refused=$(as_user env KILN_SNAPSHOTS=fuse "$KILN" build -q --no-cache "$work/ctx" 2>&1) && { echo "FAIL: fuse forced without /dev/fuse access built" >&2; exit 1; }
  echo "$refused" | grep -q "KILN_SNAPSHOTS=fuse, but /dev/fuse cannot be opened" || { echo "FAIL: refusal: $refused" >&2; exit 1; }
  echo "KILN_SNAPSHOTS=fuse without access to /dev/fuse is refused, naming it"
fi
echo "fuse-snapshots-check: passed"

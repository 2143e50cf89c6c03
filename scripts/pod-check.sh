#!/usr/bin/env bash
# The pod case of rootless kiln (issue 17), end to end: kiln itself, copied into an image with the
# shared libraries it loads (ldd: the Swift runtime, libc, curl, ...), runs as uid 1000 in a container
# started by `kiln run --user 1000` with no added capabilities, builds the tutorial's web example and
# a Dockerfile with RUN steps (a deletion, an opaque directory, RUN --mount and a heredoc) with --isolation chroot, and pushes
# the web image to a local registry (shared/tools/local-registry, 127.0.0.1); the host pulls the pushed
# image, gets root's image ID, runs it with a published port and fetches the page.
# Usage (as root): scripts/pod-check.sh KILN [TOOLS]   (TOOLS: the directory holding local-registry,
# default ../shared/tools next to the repository, else /work/shared/tools)
#
# What the container must allow: with kiln's (and Docker's) default seccomp profile, unshare(CLONE_NEWUSER)
# is refused without CAP_SYS_ADMIN, and uid 1000 has no capabilities, so no chroot and no mount: kiln
# refuses --isolation chroot and auto there and names the fix. With --security-opt seccomp=unconfined,
# kiln makes its own single-id user namespace (uid 1000 becomes 0 there), where chroot and overlay mounts
# work; no runc or pasta in the image, so auto picks chroot. kiln's store must be on a volume, not on the
# container's own overlay root filesystem: overlayfs refuses an upper directory there, so kiln copies
# root filesystems instead (slower, a note once per store: checked), and that filesystem refuses the
# whiteout devices a deletion needs (refused clearly: checked).
set -euo pipefail
KILN=$(readlink -f "${1:?usage: pod-check.sh KILN}")
repo=$(cd "$(dirname "$0")/.." && pwd)
tools=${2:-$repo/../shared/tools}
[ -x "$tools/local-registry" ] || tools=/work/shared/tools
[ -x "$tools/local-registry" ] || { echo "pod-check: no local-registry in $tools" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "pod-check: run as root" >&2; exit 2; }
work=$(mktemp -d /tmp/kiln-pod.XXXXXX)
chmod 755 "$work"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
registry=$(free_port)
export KILN_ROOT="$work/host-store" SOURCE_DATE_EPOCH=1700000000 KILN_TEST_TMP="$work"
cleanup() {
  "$KILN" rm -f "podweb$$" >/dev/null 2>&1 || true
  "$tools/local-registry" stop "$registry" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== host (root): base image, the kiln image, root's web build, a registry"
bash "$repo/scripts/make-base-image.sh" "$KILN" kiln-busybox:latest >/dev/null
mkdir -p "$work/in" "$work/kiln-image/rootfs/usr/local/bin"
"$KILN" save -o "$work/in/base.tar" kiln-busybox:latest
cp "$KILN" "$work/kiln-image/rootfs/usr/local/bin/kiln"
# Every shared library kiln loads, at its host path (the dynamic loader included).
for lib in $(ldd "$KILN" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
  mkdir -p "$work/kiln-image/rootfs$(dirname "$lib")"
  cp -L "$lib" "$work/kiln-image/rootfs$lib"
done
printf 'FROM kiln-busybox:latest\nCOPY rootfs/ /\n' > "$work/kiln-image/Dockerfile"
"$KILN" build -q -t kiln-pod:1 "$work/kiln-image" >/dev/null
cp -r "$repo/examples/web" "$work/in/web"
mkdir -p "$work/in/whiteouts"
cat > "$work/in/whiteouts/Dockerfile" <<'DOCKERFILE'
FROM kiln-busybox:latest
RUN mkdir -p /a/b && echo old > /a/b/f && echo old > /a/keep && echo x > /etc/x
RUN rm /etc/x && rm -rf /a && mkdir /a && echo new > /a/g && id -u > /a/uid
RUN --mount=type=cache,target=/c --mount=type=tmpfs,target=/t <<EOT
echo cached > /c/x && cat /c/x > /cached && touch /t/gone
EOT
DOCKERFILE
mkdir -p "$work/in/runonly"
printf 'FROM kiln-busybox:latest\nRUN mkdir -p /srv/a && echo hi > /srv/a/hi && chmod 700 /srv && echo more >> /etc/passwd\n' \
  > "$work/in/runonly/Dockerfile"
chmod -R a+rX "$work/in"
"$KILN" build -q -t kiln-demo/web:1 "$work/in/web" >/dev/null
"$KILN" build -q --isolation chroot -t whiteouts:1 "$work/in/whiteouts" >/dev/null
root_web=$("$KILN" inspect --format '{{.Id}}' kiln-demo/web:1)
root_wh=$("$KILN" inspect --format '{{.Id}}' whiteouts:1)
"$KILN" build -q --isolation chroot -t runonly:1 "$work/in/runonly" >/dev/null
root_run=$("$KILN" inspect --format '{{.Id}}' runonly:1)
"$tools/local-registry" start "$registry" >/dev/null
mkdir -p "$work/pod-store"
chown 1000:1000 "$work/pod-store"

# In the pod: uid 1000, no added capabilities, the host's network (to reach the loopback registry).
pod() {
  "$KILN" run --rm --network host --user 1000 -e KILN_ROOT=/store -e SOURCE_DATE_EPOCH=1700000000 \
    -v "$work/in:/in:ro" -v "$work/pod-store:/store" "$@"
}

echo "== pod, default seccomp profile: chroot and auto are refused with what the pod needs"
if out=$(pod kiln-pod:1 kiln build --isolation chroot /in/web 2>&1); then
  echo "FAIL: --isolation chroot worked without a user namespace or capabilities: $out" >&2; exit 1
fi
grep -q "isolation chroot is not available.*seccomp=unconfined" <<<"$out" || { echo "FAIL: refusal: $out" >&2; exit 1; }
if out=$(pod kiln-pod:1 kiln build /in/web 2>&1); then echo "FAIL: auto built: $out" >&2; exit 1; fi
grep -q "no isolation works here.*seccomp=unconfined" <<<"$out" || { echo "FAIL: auto's refusal: $out" >&2; exit 1; }
echo "refused: $out"

echo "== pod, --security-opt seccomp=unconfined: build with --isolation chroot, push"
out=$(pod --security-opt seccomp=unconfined kiln-pod:1 sh -c "
  set -e
  id -u
  kiln load -q -i /in/base.tar >/dev/null
  kiln build --progress plain --isolation chroot -t 127.0.0.1:$registry/pod/web:1 /in/web >/tmp/web 2>&1 || { cat /tmp/web; exit 1; }
  head -1 /tmp/web
  kiln build --progress plain -t whiteouts:1 /in/whiteouts >/tmp/auto 2>&1 || { cat /tmp/auto; exit 1; }
  head -1 /tmp/auto
  kiln inspect --format '{{.Id}}' 127.0.0.1:$registry/pod/web:1
  kiln inspect --format '{{.Id}}' whiteouts:1
  kiln push -q 127.0.0.1:$registry/pod/web:1 >/dev/null
  echo pushed" 2>&1) || { echo "FAIL: in the pod: $out" >&2; exit 1; }
echo "$out"
mapfile -t lines <<<"$out"
[ "${lines[0]}" = 1000 ] || { echo "FAIL: the pod's uid is ${lines[0]}" >&2; exit 1; }
[ "${lines[1]}" = "#0 isolation: chroot (no namespaces)" ] || { echo "FAIL: first line ${lines[1]}" >&2; exit 1; }
case "${lines[2]}" in "#0 isolation: chroot (no namespaces; auto: "*"no OCI runtime"*) ;;
  *) echo "FAIL: auto's first line: ${lines[2]}" >&2; exit 1 ;; esac
[ "${lines[3]}" = "$root_web" ] || { echo "FAIL: the pod's web image ${lines[3]}, root's $root_web" >&2; exit 1; }
[ "${lines[4]}" = "$root_wh" ] || { echo "FAIL: the pod's whiteouts image ${lines[4]}, root's $root_wh" >&2; exit 1; }
[ "${lines[5]}" = pushed ] || { echo "FAIL: push: $out" >&2; exit 1; }
echo "the pod's images have root's image IDs"

echo "== pod, the store on the container's own overlay root (no volume): copied root filesystems"
out=$("$KILN" run --rm --network host --user 1000 --security-opt seccomp=unconfined -e KILN_ROOT=/tmp/store \
  -e SOURCE_DATE_EPOCH=1700000000 -v "$work/in:/in:ro" kiln-pod:1 sh -c '
  set -e
  kiln load -q -i /in/base.tar >/dev/null
  kiln build -q --isolation chroot -t runonly:1 /in/runonly 2>/tmp/err || { cat /tmp/err; exit 1; }
  kiln build -q --no-cache --isolation chroot -t runonly:1 /in/runonly 2>>/tmp/err
  cat /tmp/err
  ! kiln build -q --isolation chroot /in/whiteouts' 2>&1) || { echo "FAIL: in the pod: $out" >&2; exit 1; }
echo "$out"
[ "$(grep -c "^note: overlayfs cannot be mounted" <<<"$out")" = 1 ] || { echo "FAIL: not one note: $out" >&2; exit 1; }
[ "$(grep -c "^$root_run\$" <<<"$out")" = 2 ] || { echo "FAIL: the copied builds' image IDs differ from $root_run" >&2; exit 1; }
grep -q "refuses overlay whiteouts.*on a volume" <<<"$out" || { echo "FAIL: a deletion was not refused clearly: $out" >&2; exit 1; }
echo "one note for the store; root's image ID, twice; a deletion is refused, naming the fix (a volume)"

echo "== host: pull the pushed image into a fresh store, run it, fetch the page"
export KILN_ROOT="$work/pull-store"
"$KILN" pull -q "127.0.0.1:$registry/pod/web:1" >/dev/null
pulled=$("$KILN" inspect --format '{{.Id}}' "127.0.0.1:$registry/pod/web:1")
[ "$pulled" = "$root_web" ] || { echo "FAIL: pulled $pulled, root built $root_web" >&2; exit 1; }
port=$(free_port)
"$KILN" run -d --name "podweb$$" -p "127.0.0.1:$port:80" "127.0.0.1:$registry/pod/web:1" >/dev/null
page=""
for _ in $(seq 1 100); do
  if page=$(curl -sf "http://127.0.0.1:$port/"); then break; fi
  sleep 0.1
done
[ -n "$page" ] || { echo "FAIL: no page on 127.0.0.1:$port" >&2; "$KILN" logs "podweb$$" >&2 || true; exit 1; }
grep -qi "<html\|kiln" <<<"$page" || { echo "FAIL: unexpected page: $page" >&2; exit 1; }
"$KILN" stop -t 2 "podweb$$" >/dev/null
"$KILN" rm "podweb$$" >/dev/null
echo "page served on 127.0.0.1:$port by the image the pod pushed"
echo "pod-check: passed"

#!/usr/bin/env bash
# Rootless kiln end to end, as a brand-new user (run as root: it creates and removes that user).
# Usage: scripts/rootless-check.sh KILN [range|single]
#   range:  the user has a subordinate id range in /etc/subuid and /etc/subgid (the normal case)
#   single: no range (kiln maps only the user itself, to uid 0)
# As the user, with kiln's default store (~/.local/share/kiln): load the base image root made,
# build examples/web, check it has the same image ID as root's build, run it with a port published
# on 127.0.0.1, fetch the page, stop, rm; build a Dockerfile that deletes a file and replaces a
# directory (a whiteout and an opaque directory), same image ID as root's, and check its content.
# single also checks that an image with a file owned by another uid fails with kiln's note.
set -euo pipefail
KILN=$(readlink -f "${1:?usage: rootless-check.sh KILN [range|single]}")
MODE=${2:-range}
repo=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "rootless-check: run as root (it creates a test user)" >&2; exit 2; }
user="kilnrl$$"
work=$(mktemp -d /tmp/kiln-rootless.XXXXXX)
chmod 755 "$work"
. "$repo/scripts/test-user.sh"
as_user() { runuser -u "$user" -- env -i HOME="$work/home" PATH=/usr/sbin:/usr/bin:/sbin:/bin SOURCE_DATE_EPOCH=1700000000 "$@"; }
cleanup() {
  as_user "$KILN" rm -f "web$$" >/dev/null 2>&1 || true
  test_user_remove "$user"
  rm -rf "$work"
}
trap cleanup EXIT

test_user_create "$user" "$work/home" "$MODE"

# The inputs, readable by the user.
cp -r "$repo/examples/web" "$work/web"
mkdir -p "$work/whiteouts"
cat > "$work/whiteouts/Dockerfile" <<'DOCKERFILE'
FROM kiln-busybox:latest
RUN mkdir -p /a/b && echo old > /a/b/f && echo old > /a/keep && echo x > /etc/x
RUN rm /etc/x && rm -rf /a && mkdir /a && echo new > /a/g
DOCKERFILE
chmod -R a+rX "$work/web" "$work/whiteouts"

echo "== root: base image, web and whiteouts builds"
export KILN_ROOT="$work/root-store" SOURCE_DATE_EPOCH=1700000000
bash "$repo/scripts/make-base-image.sh" "$KILN" kiln-busybox:latest >/dev/null
"$KILN" save -o "$work/base.tar" kiln-busybox:latest
chmod a+r "$work/base.tar"
"$KILN" build -q -t kiln-demo/web:1 "$work/web" >/dev/null
"$KILN" build -q -t whiteouts:1 "$work/whiteouts" >/dev/null
root_web=$("$KILN" inspect --format '{{.Id}}' kiln-demo/web:1)
root_wh=$("$KILN" inspect --format '{{.Id}}' whiteouts:1)
unset KILN_ROOT

echo "== $user ($MODE): load, build, same image IDs"
as_user "$KILN" load -q -i "$work/base.tar" >/dev/null
out=$(as_user "$KILN" build --progress plain -t kiln-demo/web:1 "$work/web" 2>&1)
[ "$(head -1 <<<"$out")" = "#0 isolation: rootless (runc in kiln's user namespace)" ] || { echo "FAIL: first line: $out" >&2; exit 1; }
if as_user "$KILN" build -q --isolation oci "$work/web" >/dev/null 2>&1; then echo "FAIL: --isolation oci was not refused" >&2; exit 1; fi
echo "first progress line names the rootless isolation; --isolation oci refused"
user_web=$(as_user "$KILN" inspect --format '{{.Id}}' kiln-demo/web:1)
[ -d "$work/home/.local/share/kiln/blobs" ] || { echo "FAIL: the user's store is not ~/.local/share/kiln" >&2; exit 1; }
[ "$user_web" = "$root_web" ] || { echo "FAIL: web image $user_web, root's $root_web" >&2; exit 1; }
echo "web image ID $user_web, as root's"

as_user "$KILN" build -q -t whiteouts:1 "$work/whiteouts" >/dev/null
user_wh=$(as_user "$KILN" inspect --format '{{.Id}}' whiteouts:1)
[ "$user_wh" = "$root_wh" ] || { echo "FAIL: whiteouts image $user_wh, root's $root_wh" >&2; exit 1; }
content=$(as_user "$KILN" run --rm --network none whiteouts:1 sh -c 'ls /a; test ! -e /etc/x && echo x-deleted')
[ "$content" = "$(printf 'g\nx-deleted')" ] || { echo "FAIL: whiteouts content: $content" >&2; exit 1; }
echo "whiteouts image ID $user_wh, as root's; /etc/x deleted, /a holds only g"

echo "== $user: run -d -p 127.0.0.1:PORT:80, curl, stop, rm"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_user "$KILN" run -d --name "web$$" -p "127.0.0.1:$port:80" kiln-demo/web:1 >/dev/null
page=""
for _ in $(seq 1 100); do
  if page=$(curl -sf "http://127.0.0.1:$port/"); then break; fi
  sleep 0.1
done
[ -n "$page" ] || { echo "FAIL: no page on 127.0.0.1:$port" >&2; as_user "$KILN" logs "web$$" >&2 || true; exit 1; }
grep -qi "<html\|kiln" <<<"$page" || { echo "FAIL: unexpected page: $page" >&2; exit 1; }
echo "page served on 127.0.0.1:$port"
as_user "$KILN" stop -t 2 "web$$" >/dev/null
as_user "$KILN" rm "web$$" >/dev/null
[ -z "$(as_user "$KILN" ps -aq)" ] || { echo "FAIL: a container is left" >&2; exit 1; }

echo "== $user: a container's exit status comes back through kiln's namespace"
set +e
as_user "$KILN" run --rm --network none whiteouts:1 sh -c 'exit 3'; st=$?
set -e
[ "$st" = 3 ] || { echo "FAIL: a container's exit 3 came back as $st" >&2; exit 1; }
echo "exit 3 came back"

if [ "$MODE" = range ]; then
  echo "== $user: newuidmap fails: kiln goes on as the plain user and says why"
  # newuidmap replaced by /bin/false in a private mount namespace: the maps cannot be written after
  # kiln has left the host's user namespace, so its helper (still outside) carries on instead.
  out=$(unshare -m --propagation private bash -c 'mount --bind /bin/false /usr/bin/newuidmap && exec "$@"' _ \
        runuser -u "$user" -- env -i HOME="$work/home" PATH=/usr/sbin:/usr/bin:/sbin:/bin "$KILN" build -q "$work/web" 2>&1) \
    && { echo "FAIL: a build worked without its user namespace: $out" >&2; exit 1; }
  grep -q "newuidmap failed (exit status 1)" <<<"$out" || { echo "FAIL: the reason is not named: $out" >&2; exit 1; }
  listed=$(unshare -m --propagation private bash -c 'mount --bind /bin/false /usr/bin/newuidmap && exec "$@"' _ \
        runuser -u "$user" -- env -i HOME="$work/home" PATH=/usr/sbin:/usr/bin:/sbin:/bin "$KILN" images -q)
  [ -n "$listed" ] || { echo "FAIL: the user's store could not be listed outside the namespace" >&2; exit 1; }
  echo "build refused naming newuidmap's failure; images still listed"
fi

if [ "$MODE" = single ]; then
  echo "== $user (single): a file owned by uid 1000 cannot be stored, and kiln says why"
  mkdir -p "$work/owned" && printf 'FROM kiln-busybox:latest\nCOPY --chown=1000:1000 f /f\n' > "$work/owned/Dockerfile"
  echo f > "$work/owned/f" && chmod -R a+rX "$work/owned"
  if out=$(as_user "$KILN" build -q -t owned:1 "$work/owned" 2>&1) && \
     out2=$(as_user "$KILN" run --rm --network none owned:1 true 2>&1); then
    echo "FAIL: a uid-1000 file worked with a single-id map" >&2; exit 1
  fi
  grep -q "subordinate id range" <<<"$out ${out2:-}" || { echo "FAIL: no note on the missing range: $out ${out2:-}" >&2; exit 1; }
  echo "refused with the note on adding a range"
fi
echo "rootless-check ($MODE): passed"

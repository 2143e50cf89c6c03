#!/usr/bin/env bash
# The copying fallback for where overlayfs cannot be mounted (issue 17), forced with KILN_SNAPSHOTS=copy:
# a Dockerfile whose RUN steps delete files (whiteouts), remove and remake directories (opaque
# directories), change metadata only, add hard links, symlinks and fifos, built with overlayfs and with
# copied root filesystems, gives the same image ID; a container of it runs from a copied root filesystem
# too. Usage (as root): scripts/copy-snapshots-check.sh KILN
set -euo pipefail
KILN=$(readlink -f "${1:?usage: copy-snapshots-check.sh KILN}")
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/kiln-copy.XXXXXX)
trap 'rm -rf "$work"' EXIT
export KILN_ROOT="$work/store" SOURCE_DATE_EPOCH=1700000000
bash "$repo/scripts/make-base-image.sh" "$KILN" kiln-busybox:latest >/dev/null
mkdir -p "$work/ctx"
cat > "$work/ctx/Dockerfile" <<'DOCKERFILE'
FROM kiln-busybox:latest
RUN mkdir -p /a/b/c && echo old > /a/b/f && echo old > /a/keep && echo x > /etc/x && ln -s /a/keep /a/link && mkdir -p /d/e && echo 1 > /d/e/g
RUN rm /etc/x && rm -rf /a && mkdir /a && echo new > /a/g && chmod 700 /d && rm -rf /d/e && ln /bin/busybox /bin/hard && touch -d @5 /etc/passwd
RUN echo more >> /a/g && mkfifo /fifo && mkdir -p /x/y/z && echo z > /x/y/z/file && rm -rf /x/y && mkdir /x/y
DOCKERFILE
overlay=$("$KILN" build -q --no-cache -t copy-check:overlay "$work/ctx")
copied=$(KILN_SNAPSHOTS=copy "$KILN" build -q --no-cache -t copy-check:copy "$work/ctx")
[ "$overlay" = "$copied" ] || { echo "FAIL: overlayfs gives $overlay, copying $copied" >&2; exit 1; }
echo "same image ID with overlayfs and with copied root filesystems: $copied"
content=$(KILN_SNAPSHOTS=copy "$KILN" run --rm --network none copy-check:copy sh -c \
  'ls /a; cat /a/g; test ! -e /etc/x && test ! -e /d/e && test -p /fifo && ls /x/y | wc -l')
[ "$content" = "$(printf 'g\nnew\nmore\n0')" ] || { echo "FAIL: content: $content" >&2; exit 1; }
echo "a container of it runs from a copied root filesystem: /a remade, /etc/x and /d/e deleted"
echo "copy-snapshots-check: passed"

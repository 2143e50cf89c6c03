#!/usr/bin/env bash
# Makes the demo's base image with no registry and nothing from ../shared: Debian's statically linked
# busybox (package busybox-static) with a link per applet (sh, httpd, ls, ...), a minimal /etc and
# /tmp, packed as a root filesystem tar and imported with `kiln import` as kiln-busybox:latest.
# Usage: scripts/make-base-image.sh KILN [NAME]   (the busybox-static .deb is fetched with
# `apt-get download` when the package is not installed; dpkg-deb extracts its binary).
set -euo pipefail
KILN=${1:?usage: make-base-image.sh KILN [NAME]}
NAME=${2:-kiln-busybox:latest}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The busybox-static binary: from the installed package, else from its .deb.
busybox=""
if dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "install ok installed"; then
  busybox=$(dpkg -L busybox-static | grep -E '/bin/busybox$' | head -1)
fi
if [ -z "$busybox" ]; then
  (cd "$work" && apt-get download -q busybox-static >/dev/null)
  dpkg-deb -x "$work"/busybox-static_*.deb "$work/deb"
  busybox="$work/deb/bin/busybox"
fi
[ -x "$busybox" ] || { echo "make-base-image: no busybox-static binary (apt-get install busybox-static)" >&2; exit 1; }

root="$work/rootfs"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,www}
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"
install -m 0755 "$busybox" "$root/bin/busybox"
# One link per applet, where busybox installs it (bin/sh, usr/sbin/httpd, ...).
"$root/bin/busybox" --list-full | while read -r applet; do
  [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > "$root/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP

# Same bytes on every run: sorted names, numeric root ownership, a fixed mtime.
tar --sort=name --numeric-owner --owner=0 --group=0 --mtime='2000-01-01 00:00:00Z' -C "$root" -cf "$work/rootfs.tar" .
"$KILN" import -c 'CMD ["sh"]' "$work/rootfs.tar" "$NAME" >/dev/null
echo "$NAME"

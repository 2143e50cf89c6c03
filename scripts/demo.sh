#!/usr/bin/env bash
# The main job on a fresh machine, the tutorial's demo, standing alone (no ../shared, no registry):
# install what kiln needs, build kiln, make a small base image (Debian's busybox-static, imported
# with `kiln import` as kiln-busybox:latest), build the web server example FROM it, run it detached
# with its port published on 127.0.0.1:8080, fetch and print the page, stop and remove it.
# KILN_BUILD_CONFIG=debug builds kiln in debug mode (faster to compile); the default is release.
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${KILN_BUILD_CONFIG:-release}
bash scripts/install-deps.sh
KILN=$(bash scripts/build-kiln.sh "$CONFIG")
$KILN version

echo "== base image: busybox-static, imported as kiln-busybox:latest"
bash scripts/make-base-image.sh "$KILN" kiln-busybox:latest

echo "== kiln check examples/web"
$KILN check examples/web || true

echo "== kiln build -t kiln-demo/web:1 examples/web"
$KILN build --progress plain -t kiln-demo/web:1 examples/web

echo "== kiln run -d --name kiln-demo-web -p 127.0.0.1:8080:80 kiln-demo/web:1"
$KILN rm -f kiln-demo-web >/dev/null 2>&1 || true
$KILN run -d --name kiln-demo-web -p 127.0.0.1:8080:80 kiln-demo/web:1
cleanup() { $KILN rm -f kiln-demo-web >/dev/null 2>&1 || true; }
trap cleanup EXIT
$KILN ps

echo "== curl http://127.0.0.1:8080/"
page=""
for _ in $(seq 1 50); do
  if page=$(curl -sf http://127.0.0.1:8080/); then break; fi
  sleep 0.1
done
[ -n "$page" ] || { echo "the web server did not answer on 127.0.0.1:8080" >&2; $KILN logs kiln-demo-web >&2; exit 1; }
echo "$page"

echo "== kiln history kiln-demo/web:1"
$KILN history kiln-demo/web:1

echo "== kiln stop / kiln rm"
$KILN stop -t 2 kiln-demo-web
$KILN rm kiln-demo-web
trap - EXIT
echo "demo finished: built, ran, served the page through a published port, stopped and removed"

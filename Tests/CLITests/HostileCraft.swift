import Foundation

/// The crafting side of ``HostileInputTests``: a Python script that writes hostile layers and
/// images (an OCI layout, an OCI archive, a docker-archive and the bare layer per case) and
/// serves the layouts as a registry with scripted misbehaviour (a redirect loop, a body that
/// drips a byte a second or stalls, a 200 MB manifest streamed lazily). Test-only.
enum HostileCraft {
    static let script = #"""
import gzip, hashlib, io, json, os, sys, tarfile, threading, time, zlib
import http.server

def sha(b): return hashlib.sha256(b).hexdigest()

def tar_bytes(entries, pax_extra=None):
    """entries: list of (name, kind, data_or_target, extra dict)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, kind, payload, extra in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            info.mode = extra.get("mode", 0o644 if kind == "file" else 0o755)
            if kind == "file":
                info.size = len(payload)
                if "pax" in extra: info.pax_headers = extra["pax"]
                tf.addfile(info, io.BytesIO(payload))
                continue
            if kind == "dir": info.type = tarfile.DIRTYPE
            elif kind == "symlink": info.type = tarfile.SYMTYPE; info.linkname = payload
            elif kind == "hardlink": info.type = tarfile.LNKTYPE; info.linkname = payload
            elif kind == "chr": info.type = tarfile.CHRTYPE; info.devmajor, info.devminor = payload
            elif kind == "blk": info.type = tarfile.BLKTYPE; info.devmajor, info.devminor = payload
            if "pax" in extra: info.pax_headers = extra["pax"]
            tf.addfile(info)
    return out.getvalue()

def gz(data, level=6):
    return gzip.compress(data, compresslevel=level, mtime=0)

def bomb(size):
    """A gzip stream of a tar holding one file of `size` zero bytes, made without holding it."""
    header = tarfile.TarInfo("zeros"); header.size = size; header.mtime = 1700000000
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [comp.compress(header.tobuf(format=tarfile.GNU_FORMAT))]
    chunk = bytes(1 << 20)
    for _ in range(size >> 20): parts.append(comp.compress(chunk))
    parts.append(comp.compress(bytes(1024)))
    parts.append(comp.flush())
    return b"".join(parts)

def layer_for(case, outside):
    """(layer blob bytes, diff_id hex, media type suffix, expectation)."""
    E = {}
    if case == "dotdot": entries = [("../escape-dotdot-pwned", "file", b"x", E)]
    elif case == "absolute": entries = [("/abs-pwned", "file", b"abs", E)]
    elif case == "symlink-chain": entries = [("evil", "symlink", outside, E), ("evil/symlink-pwned", "file", b"x", E)]
    elif case == "hardlink-outside": entries = [("h-pwned", "hardlink", "../../../../../../../../" + outside.lstrip("/") + "/target", E)]
    elif case == "hardlink-symlink": entries = [("s", "symlink", outside + "/target", E), ("h", "hardlink", "s", E), ("h", "file", b"overwritten-pwned", E)]
    elif case == "whiteout-climb": entries = [("a/../../.wh.escape-pwned", "file", b"", E)]
    elif case == "whiteout-dotdot": entries = [("a/.wh...", "file", b"", E)]
    elif case == "opaque-root": entries = [(".wh..wh..opq", "file", b"", E), ("kept", "file", b"k", E)]
    elif case == "device-nodes": entries = [("null", "chr", (1, 3), E), ("disk", "blk", (8, 0), E)]
    elif case == "duplicate": entries = [("dup", "file", b"first", E), ("dup", "file", b"second", E)]
    elif case == "pax-10mb": entries = [("big-pax", "file", b"x", {"pax": {"comment": "A" * (10 << 20)}})]
    elif case == "long-name": entries = [(("d" * 200 + "/") * 25 + "f", "file", b"x", E)]
    elif case == "long-component": entries = [("c" * 300, "file", b"x", E)]
    else: entries = [("ok", "file", b"fine\n", E)]
    raw = tar_bytes(entries)
    if case == "gzip-bomb":
        blob = bomb(1 << 30)
        return blob, None
    if case == "truncated-gzip":
        full = gz(tar_bytes([("f%d" % i, "file", os.urandom(4096), E) for i in range(16)]), 1)
        return full[: len(full) // 2], sha(tar_bytes([("f", "file", b"", E)]))
    if case == "garbage-after-end":
        raw = raw + os.urandom(3000)
    return gz(raw), sha(raw)

def write_layout(case, outside, layout):
    os.makedirs(layout + "/blobs/sha256", exist_ok=True)
    def put(b):
        d = sha(b)
        with open(layout + "/blobs/sha256/" + d, "wb") as f: f.write(b)
        return d
    layer, diff = layer_for(case, outside)
    if diff is None:  # gzip bomb: the diff_id of 1 GiB of zeros in a tar is not computed; any value
        diff = "0" * 64
    ldigest = put(layer)
    lsize = len(layer)
    quirks = {}
    layers = [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + ldigest, "size": lsize}]
    diffs = ["sha256:" + diff]
    if case == "blob-digest-mismatch":
        with open(layout + "/blobs/sha256/" + ldigest, "wb") as f: f.write(gz(b"not the layer" + bytes(2000)))
        quirks["blob_mismatch"] = ldigest
    if case == "blob-longer-than-descriptor":
        layers[0]["size"] = lsize - 10
    if case == "layers-10000":
        layers = layers * 10000; diffs = diffs * 10000
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": diffs}, "history": []}).encode()
    cdigest = put(config)
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + cdigest, "size": len(config)},
                           "layers": layers}).encode()
    mdigest = put(manifest)
    msize = len(manifest)
    if case == "manifest-digest-mismatch":
        with open(layout + "/blobs/sha256/" + mdigest, "wb") as f: f.write(manifest.replace(b"schemaVersion\": 2", b"schemaVersion\":  2"))
    if case == "manifest-200mb":
        # A sparse 200 MB manifest, served or loaded as one.
        path = layout + "/blobs/sha256/" + "ab" * 32
        with open(path, "wb") as f: f.truncate(200 << 20)
        mdigest, msize = "ab" * 32, 200 << 20
        quirks["huge_manifest"] = True
    if case in ("redirect-loop", "drip", "stall"):
        quirks[case] = ldigest
    index = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
             "digest": "sha256:" + mdigest, "size": msize,
             "annotations": {"org.opencontainers.image.ref.name": "latest", "io.containerd.image.name": "hostile/%s:latest" % case}}]}
    with open(layout + "/index.json", "w") as f: json.dump(index, f)
    with open(layout + "/oci-layout", "w") as f: f.write('{"imageLayoutVersion":"1.0.0"}')
    with open(layout + "/quirks.json", "w") as f: json.dump(quirks, f)
    # A docker-archive of the same image (layer file as is: gzip or not).
    return layer

def tar_dir(src, out, skip=("quirks.json",)):
    with tarfile.open(out, "w") as tf:
        for name in sorted(os.listdir(src)):
            if name in skip: continue
            tf.add(os.path.join(src, name), arcname=name)

def docker_archive(layout, out):
    index = json.load(open(layout + "/index.json"))
    m = index["manifests"][0]
    mpath = layout + "/blobs/sha256/" + m["digest"][7:]
    if os.path.getsize(mpath) > (8 << 20): return False
    manifest = json.load(open(mpath))
    cfg = manifest["config"]["digest"][7:]
    with tarfile.open(out, "w") as tf:
        def add(name, path):
            tf.add(path, arcname=name)
        add(cfg + ".json", layout + "/blobs/sha256/" + cfg)
        names = []
        for i, l in enumerate(manifest["layers"][:200]):
            name = "%s/layer.tar" % l["digest"][7:]
            if name not in names:
                add(name, layout + "/blobs/sha256/" + l["digest"][7:])
            names.append(name)
        if len(manifest["layers"]) > 200: names = names * (len(manifest["layers"]) // len(names))
        data = json.dumps([{"Config": cfg + ".json", "RepoTags": ["hostile/docker:latest"], "Layers": names}]).encode()
        info = tarfile.TarInfo("manifest.json"); info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    return True

class Registry(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def send(self, status, body=b"", headers=(), length=None):
        self.send_response(status)
        for k, v in headers: self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        return body
    def do_HEAD(self): self.handle_req(False)
    def do_GET(self): self.handle_req(True)
    def handle_req(self, body):
        root = self.server.root
        parts = self.path.split("/")
        if self.path in ("/v2/", "/v2"):
            out = self.send(200, b"{}")
            if body: self.wfile.write(out)
            return
        # /v2/hostile/<case>/(manifests|blobs)/<ref>
        if len(parts) < 6: self.send(404); return
        case, kind, ref = parts[3], parts[4], parts[5]
        layout = os.path.join(root, case)
        quirks = json.load(open(layout + "/quirks.json"))
        if kind == "manifests":
            if ref == "latest":
                ref = json.load(open(layout + "/index.json"))["manifests"][0]["digest"]
            path = layout + "/blobs/sha256/" + ref[7:]
            if not os.path.exists(path): self.send(404); return
            size = os.path.getsize(path)
            if quirks.get("huge_manifest"):
                self.send(200, headers=[("Content-Type", "application/vnd.oci.image.manifest.v1+json")], length=size)
                if body:
                    try:
                        chunk = b" " * (1 << 20)
                        for _ in range(size >> 20): self.wfile.write(chunk)
                    except Exception: pass
                return
            data = open(path, "rb").read()
            out = self.send(200, data, [("Content-Type", "application/vnd.oci.image.manifest.v1+json"), ("Docker-Content-Digest", ref)])
            if body: self.wfile.write(out)
            return
        if kind == "blobs":
            d = ref[7:]
            if quirks.get("redirect-loop") == d:
                self.send(302, headers=[("Location", self.path)]); return
            path = layout + "/blobs/sha256/" + d
            if not os.path.exists(path): self.send(404); return
            data = open(path, "rb").read()
            if quirks.get("drip") == d or quirks.get("stall") == d:
                self.send(200, length=len(data))
                if not body: return
                try:
                    if quirks.get("stall") == d:
                        time.sleep(600)
                    for i in range(len(data)):
                        self.wfile.write(data[i:i + 1]); self.wfile.flush(); time.sleep(1)
                except Exception: pass
                return
            out = self.send(200, data)
            if body: self.wfile.write(out)
            return
        self.send(404)

def serve(root, portfile):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Registry)
    server.daemon_threads = True
    server.root = root
    with open(portfile + ".tmp", "w") as f: f.write(str(server.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    server.serve_forever()

if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "craft":
        case, outside, work = sys.argv[2], sys.argv[3], sys.argv[4]
        layout = os.path.join(work, "layouts", case)
        layer = write_layout(case, outside, layout)
        with open(os.path.join(work, case + "-layer.tar.gz"), "wb") as f: f.write(layer)
        tar_dir(layout, os.path.join(work, case + "-oci.tar"))
        print("docker" if docker_archive(layout, os.path.join(work, case + "-docker.tar")) else "no-docker")
    elif cmd == "serve":
        serve(sys.argv[2], sys.argv[3])
"""#
}

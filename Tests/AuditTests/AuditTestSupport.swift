import Audit
import Foundation
import ImageArchive
import ImageSpec
import ImageStore
import TestVectors
import XCTest

/// A temporary store and build context for `kiln audit` tests, driving the built kiln binary.
class AuditTestCase: XCTestCase {
    var root: URL!
    var storeRoot: String { root.appendingPathComponent("store").path }

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-audit-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let root { try? FileManager.default.removeItem(at: root) }
    }

    /// Runs kiln with `--root` pointing at the test store; fails the test on an unexpected status.
    @discardableResult
    func kiln(_ arguments: [String], expect status: Int32? = 0, file: StaticString = #filePath, line: UInt = #line) throws -> KilnProcess.Result {
        var args = arguments
        args.insert(contentsOf: ["--root", storeRoot], at: 1)
        let result = try KilnProcess.run(args)
        if let status, result.status != status {
            XCTFail("kiln \(arguments.joined(separator: " ")) exited \(result.status), expected \(status)\n\(result.stderr)\n\(result.stdout.prefix(4000))", file: file, line: line)
        }
        return result
    }

    /// Loads shared/fixtures/busybox into the test store as `audit-test/busybox:latest`.
    func loadBusybox() async throws -> String {
        let fixture = Vectors.shared.appendingPathComponent("fixtures/busybox").path
        guard FileManager.default.fileExists(atPath: fixture + "/index.json") else { throw XCTSkip("no busybox fixture at \(fixture)") }
        return try await load(fixture, as: "audit-test/busybox:latest")
    }

    /// Loads an OCI layout into the test store under `name`.
    func load(_ layout: String, as name: String) async throws -> String {
        let store = try ContentStore(root: URL(fileURLWithPath: storeRoot))
        let images = try await ImageLoader(store: store).load(from: layout)
        let image = try XCTUnwrap(images.first)
        let reference = try ImageReference(parsing: name)
        try await store.tag(reference, image.manifestDescriptor)
        return reference.description
    }

    /// RUN steps need root (runc).
    func requireRoot() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root (RUN steps run in runc)") }
    }

    /// Builds `dockerfile` with `files` in its context as `tag`.
    func build(_ tag: String, _ dockerfile: String, files: [String: String] = [:], args: [String] = []) throws {
        let context = root.appendingPathComponent("ctx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: context, withIntermediateDirectories: true)
        try dockerfile.write(to: context.appendingPathComponent("Dockerfile"), atomically: true, encoding: .utf8)
        for (name, content) in files {
            let url = context.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try content.write(to: url, atomically: true, encoding: .utf8)
        }
        try kiln(["build", "-q", "--network", "none", "-t", tag] + args + [context.path])
    }

    /// `kiln audit --format json` of `image`, decoded.
    func audit(_ image: String, extra: [String] = []) throws -> AuditReport {
        let result = try kiln(["audit", "--format", "json"] + extra + [image])
        return try JSONDecoder().decode(AuditReport.self, from: Data(result.stdout.utf8))
    }

    /// The layer blob files of an audited image, in order.
    func layerBlobs(_ report: AuditReport) -> [String] {
        report.layers.map { layer in
            let hex = layer.digest.split(separator: ":").last!
            return "\(storeRoot)/blobs/sha256/\(hex)"
        }
    }

    /// Findings other than the settings every image built FROM busybox has (root user, no healthcheck).
    func interesting(_ report: AuditReport) -> [AuditFinding] {
        report.findings.filter { !["RootUser", "MissingHealthcheck"].contains($0.rule) }
    }

    func describe(_ findings: [AuditFinding]) -> String {
        findings.map { "\($0.rule) layer=\($0.layer.map(String.init) ?? "-") \($0.path ?? "") \($0.message)" }.joined(separator: "\n")
    }
}

/// The wasted-space figures recomputed by brute force, independently of the Audit module: Python's
/// tarfile reads every layer whole, the filesystem after each layer is rebuilt from scratch, and
/// dive's definition is applied literally.
enum BruteForceWaste {
    struct Result: Decodable {
        var efficiency: Double
        var wastedBytes: Int64
        var hiddenBytes: [Int64]
        var userSizeBytes: Int64
    }

    static let script = #"""
import json, sys, tarfile

def clean(name):
    parts = []
    for p in name.split('/'):
        if p in ('', '.'):
            continue
        if p == '..':
            if parts: parts.pop()
            continue
        parts.append(p)
    return '/'.join(parts)

def parent(p):
    return p.rsplit('/', 1)[0] if '/' in p else ''

def base(p):
    return p.rsplit('/', 1)[-1]

layers = []
for path in sys.argv[1:]:
    entries = []
    with tarfile.open(path, 'r:*') as t:
        for m in t:
            c = clean(m.name)
            if c:
                entries.append((c, m.size if m.isreg() else 0, m.isdir(), m.isreg()))
    layers.append(entries)

def under(p, q):
    return q == p or q.startswith(p + '/')

# dive: a tree per layer, leaves only; whiteout leaves sized from the stacked lower layers.
def layer_tree(entries):
    nodes = {}
    for c, size, isdir, _ in entries:
        if not base(c).startswith('.wh..wh..'):
            nodes[c] = (size, isdir)
        q = parent(c)
        while q:
            nodes.setdefault(q, None)
            q = parent(q)
    return nodes

trees = [layer_tree(e) for e in layers]

def stacked_before(i):
    tree = {}
    for t in trees[:i]:
        for k in [k for k in t if base(k).startswith('.wh.')]:
            target = (parent(k) + '/' if parent(k) else '') + base(k)[4:]
            for q in [q for q in tree if under(target, q)]:
                del tree[q]
        for k, info in t.items():
            if base(k).startswith('.wh.'):
                continue
            tree[k] = info if info is not None else (0, False)
            q = parent(k)
            while q:
                tree.setdefault(q, (0, False))
                q = parent(q)
    return tree

stats = {}
for i, t in enumerate(trees):
    lower = None
    parents = {parent(o) for o in t}
    for k, info in t.items():
        if k in parents:
            continue
        if base(k).startswith('.wh.'):
            path = (parent(k) + '/' if parent(k) else '') + base(k)[4:]
            if lower is None:
                lower = stacked_before(i)
            size = 0
            if path in lower and lower[path][1]:
                size = sum(v[0] for q, v in lower.items() if under(path, q))
        else:
            path, size = k, (info[0] if info else 0)
        s = stats.setdefault(path, [0, 0, None])
        s[0] += 1
        s[1] += size
        s[2] = size if s[2] is None else min(s[2], size)

minimum = sum(s[2] for s in stats.values())
discovered = sum(s[1] for s in stats.values())
wasted = sum(s[1] for s in stats.values() if s[0] >= 2)
efficiency = 1.0 if discovered == 0 else minimum / discovered

# Hidden bytes: rebuild the visible filesystem; a regular file version is hidden unless it is the final one.
visible = {}
for i, entries in enumerate(layers):
    for c, size, isdir, isreg in entries:
        b = base(c)
        if b == '.wh..wh..opq':
            d = parent(c)
            for q in [q for q, v in visible.items() if v[0] < i and q.startswith(d + '/' if d else '')]:
                del visible[q]
        elif b.startswith('.wh.'):
            target = (parent(c) + '/' if parent(c) else '') + b[4:]
            for q in [q for q, v in visible.items() if v[0] < i and under(target, q)]:
                del visible[q]
        else:
            old = visible.get(c)
            if old and old[2] and isdir:
                visible[c] = (i, size, True)
                continue
            if old and old[2]:
                for q in [q for q in visible if q.startswith(c + '/')]:
                    del visible[q]
            visible[c] = (i, size, isdir)
hidden = []
for i, entries in enumerate(layers):
    last = {}
    for c, size, isdir, isreg in entries:
        if isreg and not base(c).startswith('.wh.'):
            last[c] = size
    hidden.append(sum(size for c, size in last.items() if not (c in visible and visible[c][0] == i)))

user = sum(sum(e[1] for e in entries) for entries in layers[1:])
print(json.dumps({"efficiency": efficiency, "wastedBytes": wasted, "hiddenBytes": hidden, "userSizeBytes": user}))
"""#

    static func compute(_ blobs: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + blobs
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw XCTSkip("python3 brute force failed (status \(process.terminationStatus))") }
        return try JSONDecoder().decode(Result.self, from: data)
    }
}

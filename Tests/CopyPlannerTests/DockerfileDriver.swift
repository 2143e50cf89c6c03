import CopyPlanner
import Foundation
import LayerArchive
import TestVectors

/// A minimal Dockerfile runner for the conformance cases that only use FROM (scratch,
/// busybox, earlier stages), ARG/ENV (for `$VAR`), WORKDIR, RUN (run with chroot into the
/// stage's root, so later steps see its effect) and COPY/ADD (planned with `CopyPlanner`,
/// then applied to the stage's root). Records the planned entries of the last stage's
/// COPY/ADD steps in order. Not a general Dockerfile implementation: just enough to drive
/// the planner over the real cases.
final class DockerfileDriver {
    struct Stage {
        var name: String?
        var root: String
        var workdir = "/"
        /// Planned entries of the COPY/ADD steps in this stage's history (inherited by `FROM stage`).
        var copies: [[LayerEntry]] = []
    }

    let testCase: ConformanceCase
    let scratchRoot: String
    var stages: [Stage] = []
    var variables: [String: String] = [:]
    /// Planned entries per COPY/ADD of the current (last) stage.
    var copies: [[LayerEntry]] = []
    /// Commands of RUN steps that failed (Docker ran them all successfully).
    var failedRuns: [String] = []

    init(_ testCase: ConformanceCase) {
        self.testCase = testCase
        scratchRoot = testCase.work.path + "/.driver"
        try? FileManager.default.createDirectory(atPath: scratchRoot, withIntermediateDirectories: true)
        variables = testCase.buildArgs
    }

    func run() throws {
        for line in try Self.instructions(String(contentsOfFile: testCase.dockerfile, encoding: .utf8)) {
            let (keyword, rest) = Self.split(line)
            switch keyword {
            case "FROM": try from(expand(rest))
            case "ARG":
                let (name, value) = Self.keyValue(rest)
                if variables[name] == nil, let value { variables[name] = value }
            case "ENV":
                let (name, value) = Self.keyValue(rest)
                variables[name] = expand(value ?? "")
            case "WORKDIR":
                let path = expand(rest)
                let absolute = path.hasPrefix("/") ? path : stages[stages.count - 1].workdir + "/" + path
                stages[stages.count - 1].workdir = absolute
                try FileManager.default.createDirectory(atPath: stages.last!.root + absolute, withIntermediateDirectories: true)
            case "RUN": try runStep(rest)
            case "COPY", "ADD": try copy(rest, isAdd: keyword == "ADD")
            default: continue
            }
        }
    }

    private func from(_ rest: String) throws {
        if !stages.isEmpty { stages[stages.count - 1].copies = copies }
        let words = rest.split(separator: " ").map(String.init)
        let image = words[0]
        let name = words.count >= 3 && words[1].lowercased() == "as" ? words[2] : nil
        let root = scratchRoot + "/stage\(stages.count)"
        var workdir = "/"
        var inherited: [[LayerEntry]] = []
        if image == "scratch" {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        } else if let stage = stages.first(where: { $0.name == image }) {
            try Shell.run("/bin/cp", ["-a", stage.root, root])
            workdir = stage.workdir
            inherited = stage.copies
        } else {
            try Shell.run("/bin/cp", ["-a", try Busybox.rootfs(), root])
        }
        stages.append(Stage(name: name, root: root, workdir: workdir))
        copies = inherited
    }

    private func runStep(_ rest: String) throws {
        let stage = stages.last!
        var argv: [String]
        if rest.hasPrefix("["), let json = try? JSONSerialization.jsonObject(with: Data(rest.utf8)) as? [String] {
            argv = json
        } else {
            argv = ["/bin/sh", "-c", rest]
        }
        argv = [stage.root, "/bin/sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "sh", stage.workdir] + argv
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/chroot")
        process.arguments = argv
        process.environment = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        if process.terminationStatus != 0 { failedRuns.append(rest) }
    }

    private func copy(_ rest: String, isAdd: Bool) throws {
        var words = Self.arguments(rest)
        var from: String?
        var owner: (uid: UInt32, gid: UInt32)?
        var mode: UInt32?
        while let first = words.first, first.hasPrefix("--") {
            words.removeFirst()
            let parts = first.dropFirst(2).split(separator: "=", maxSplits: 1).map(String.init)
            switch parts[0] {
            case "from": from = parts[1]
            case "chown":
                let names = parts[1].split(separator: ":").map(String.init)
                let uid = try Self.id(names[0], in: stages.last!.root + "/etc/passwd")
                let gid = names.count > 1 ? try Self.id(names[1], in: stages.last!.root + "/etc/group") : uid
                owner = (uid, gid)
            case "chmod": mode = UInt32(parts[1], radix: 8)
            default: break
            }
        }
        words = words.map(expand)
        let destination = words.removeLast()
        let source: CopySourceTree
        if let from {
            let stage = Int(from).map { stages[$0] } ?? stages.first { $0.name == from }!
            source = CopySourceTree(root: stage.root, isContext: false)
        } else {
            source = try CopySourceTree.context(root: testCase.context, ignorePatterns: try testCase.ignorePatterns())
        }
        let stage = stages.last!
        let scratch = scratchRoot + "/scratch\(copies.count)-\(stages.count)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let request = CopyRequest(sources: words, destination: destination, workingDirectory: stage.workdir,
                                  owner: owner, mode: mode, isAdd: isAdd)
        let plan = try CopyPlanner.plan(request, from: source, destinationRoot: stage.root, scratch: scratch)
        copies.append(plan.entries)
        try Self.apply(plan.entries, to: stage.root)
    }

    /// Writes the entries as a tar and applies it with `LayerApplier`, as a snapshotter would.
    static func apply(_ entries: [LayerEntry], to root: String) throws {
        final class Buffer { var bytes: [UInt8] = [] }
        let buffer = Buffer()
        var writer = TarWriter(ClosureSink { buffer.bytes.append(contentsOf: $0) })
        try LayerDiff.write(entries, to: &writer)
        try writer.finish()
        try LayerApplier(target: root).apply(blob: InMemorySource(buffer.bytes))
    }

    /// A user or group number, or the id of a name in the stage's passwd/group file.
    static func id(_ name: String, in file: String) throws -> UInt32 {
        if let number = UInt32(name) { return number }
        for line in try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            if fields.count > 2, fields[0] == name, let id = UInt32(fields[2]) { return id }
        }
        throw Shell.Failure(description: "no \(name) in \(file)")
    }

    /// The COPY/ADD entries of the stage a build of `target` (or the last stage) exports.
    func exportedCopies(target: String?) -> [[LayerEntry]] {
        guard let target, let stage = stages.firstIndex(where: { $0.name == target }) else { return copies }
        return stage == stages.count - 1 ? copies : stages[stage].copies
    }

    // MARK: - Text

    private func expand(_ text: String) -> String {
        var out = ""
        var chars = text[...]
        while let c = chars.first {
            chars = chars.dropFirst()
            guard c == "$" else { out.append(c); continue }
            var name = ""
            if chars.first == "{" {
                chars = chars.dropFirst()
                while let d = chars.first, d != "}" { name.append(d); chars = chars.dropFirst() }
                chars = chars.dropFirst()
            } else {
                while let d = chars.first, d.isLetter || d.isNumber || d == "_" { name.append(d); chars = chars.dropFirst() }
            }
            out += variables[name] ?? ""
        }
        return out
    }

    static func instructions(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if current.isEmpty && (line.hasPrefix("#") || line.isEmpty) { continue }
            if line.hasSuffix("\\") {
                current += line.dropLast() + " "
                continue
            }
            current += line
            result.append(current)
            current = ""
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    static func split(_ line: String) -> (String, String) {
        guard let space = line.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return (line.uppercased(), "") }
        return (line[..<space].uppercased(), line[space...].trimmingCharacters(in: .whitespaces))
    }

    static func keyValue(_ rest: String) -> (String, String?) {
        if let eq = rest.firstIndex(of: "="), !rest[..<eq].contains(" ") {
            return (String(rest[..<eq]), String(rest[rest.index(after: eq)...]).trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
        }
        let (name, value) = split(rest)
        return (rest.split(separator: " ").first.map(String.init) ?? name, value.isEmpty ? nil : value)
    }

    static func arguments(_ rest: String) -> [String] {
        if rest.hasPrefix("["), let json = try? JSONSerialization.jsonObject(with: Data(rest.utf8)) as? [String] { return json }
        return rest.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }
}

/// The busybox fixture's root filesystem, extracted once per test run.
enum Busybox {
    nonisolated(unsafe) private static var cached: String?

    static func rootfs() throws -> String {
        if let cached { return cached }
        let layout = Vectors.shared.appendingPathComponent("fixtures/busybox").path
        func blob(_ digest: String) -> String { layout + "/blobs/sha256/" + digest.dropFirst("sha256:".count) }
        func json(_ path: String) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        }
        let index = try json(layout + "/index.json")
        let manifestDigest = ((index["manifests"] as! [[String: Any]])[0]["digest"] as! String)
        let manifest = try json(blob(manifestDigest))
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("copyplanner-busybox-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        for layer in manifest["layers"] as! [[String: Any]] {
            try LayerApplier(target: root).apply(blobFile: blob(layer["digest"] as! String))
        }
        cached = root
        return root
    }
}

import ContextFilter
import Foundation
import LayerArchive
import TestVectors
import XCTest

/// A conformance case (shared/conformance/cases/NAME) prepared as run.py prepares it, and its
/// stored Docker reference (references/NAME/summary.json).
struct ConformanceCase {
    let name: String
    let work: URL
    let context: String
    let dockerfile: String
    let buildArgs: [String: String]
    let expectFail: Bool
    let target: String?

    static var root: URL { Vectors.shared.appendingPathComponent("conformance") }

    /// Copies the case into a temporary directory, restores write permission, drops harness
    /// files from a context that is the case folder, runs its setup.sh (run.py `prepare`).
    init(_ name: String) throws {
        self.name = name
        let source = Self.root.appendingPathComponent("cases/\(name)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("case.json"))) as! [String: Any]
        work = FileManager.default.temporaryDirectory.appendingPathComponent("copyplanner-\(name)-\(UUID().uuidString)")
        try Shell.run("/bin/cp", ["-a", source.path, work.path])
        try Shell.run("/bin/chmod", ["-R", "u+w", work.path])
        let contextRel = json["context"] as? String ?? "context"
        context = URL(fileURLWithPath: work.path).appendingPathComponent(contextRel).standardizedFileURL.path
        try Self.restoreSymlinks(caseFolder: work)
        if context == work.standardizedFileURL.path {
            for harness in ["case.json", "setup.sh", "case-links.json"] { try? FileManager.default.removeItem(atPath: work.path + "/" + harness) }
        }
        let setup = source.appendingPathComponent("setup.sh").path
        if FileManager.default.fileExists(atPath: setup) {
            try Shell.run("/bin/bash", [setup], cwd: context, env: ["CONF_CONTEXT": context, "CONF_CASE_DIR": source.path])
        }
        let dockerfileRel = json["dockerfile"] as? String ?? "Dockerfile"
        let inWork = work.path + "/" + dockerfileRel
        dockerfile = FileManager.default.fileExists(atPath: inWork) ? inWork : context + "/" + dockerfileRel
        buildArgs = json["build_args"] as? [String: String] ?? [:]
        expectFail = (json["expect"] as? String) == "fail"
        target = json["target"] as? String
    }

    func cleanUp() {
        try? FileManager.default.removeItem(at: work)
    }

    /// The `.dockerignore` patterns of the context, found as BuildKit finds them.
    func ignorePatterns() throws -> [String] {
        try IgnoreFile.load(contextDirectory: URL(fileURLWithPath: context), dockerfile: URL(fileURLWithPath: dockerfile)).patterns
    }

    /// A copy of shared/ flattens symlinks; the case's `case-links.json` (path in the case folder ->
    /// link target) names them, and Docker built the references from the real links. Recreate them.
    static func restoreSymlinks(caseFolder work: URL) throws {
        let list = work.appendingPathComponent("case-links.json")
        guard let data = try? Data(contentsOf: list) else { return }
        let links = try JSONSerialization.jsonObject(with: data) as? [String: String] ?? [:]
        for (relative, target) in links.sorted(by: { $0.key < $1.key }) {
            let path = work.appendingPathComponent(relative)
            try? FileManager.default.removeItem(at: path)
            try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: path.path, withDestinationPath: target)
        }
    }

    /// The reference Docker produced.
    func reference() throws -> Reference {
        try Reference(Self.root.appendingPathComponent("references/\(name)/summary.json"))
    }
}

/// The parts of a conformance summary the COPY tests compare.
struct Reference {
    let files: [String: [String: Any]]
    let layerEntryCounts: [Int]
    /// Per history entry: created_by and whether it has a layer.
    let history: [(createdBy: String, emptyLayer: Bool)]

    init(_ url: URL) throws {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        files = json["files"] as! [String: [String: Any]]
        layerEntryCounts = (json["layers"] as! [[String: Any]]).map { $0["entries"] as! Int }
        history = (json["history"] as! [[String: Any]]).map { ($0["created_by"] as! String, $0["empty_layer"] as? Bool ?? false) }
    }

    /// Layer index of the `n`-th COPY/ADD history entry (0-based).
    func layerIndex(ofCopy n: Int) -> Int? {
        var layer = 0
        var copies = 0
        for entry in history {
            if entry.createdBy.hasPrefix("COPY ") || entry.createdBy.hasPrefix("ADD ") {
                if copies == n { return entry.emptyLayer ? nil : layer }
                copies += 1
            }
            if !entry.emptyLayer { layer += 1 }
        }
        return nil
    }
}

enum Shell {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    @discardableResult
    static func run(_ tool: String, _ arguments: [String], cwd: String? = nil, env: [String: String] = [:]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        process.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(tool) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
        }
        return process.terminationStatus
    }
}

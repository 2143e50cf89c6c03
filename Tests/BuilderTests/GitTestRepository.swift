import Foundation
import XCTest

/// A git repository made the way BuildKit's dockerfile_addgit_test.go makes its own (commits tagged
/// v0.0.1…v0.0.3 each writing `foo`), plus a `feature` branch with `sub/foo` and an executable,
/// served over git's dumb HTTP transport (`git update-server-info` + a static file server) at
/// `url` (`http://127.0.0.1:PORT/.git`).
final class GitTestRepository {
    let directory: URL
    let server: StaticFileServer
    private(set) var commits: [String: String] = [:]

    var url: String { server.baseURL + "/.git" }

    init(at directory: URL) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/git") || FileManager.default.isExecutableFile(atPath: "/usr/local/bin/git") else {
            throw XCTSkip("git is not installed (scripts/install-deps.sh)")
        }
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Self.git(["-c", "init.defaultBranch=master", "init", "-q"], in: directory)
        try Self.git(["config", "--local", "user.email", "test"], in: directory)
        try Self.git(["config", "--local", "user.name", "test"], in: directory)
        for tag in ["v0.0.1", "v0.0.2", "v0.0.3"] {
            try Data("foo of \(tag)\n".utf8).write(to: directory.appendingPathComponent("foo"))
            try Self.git(["add", "foo"], in: directory)
            try Self.git(["commit", "-q", "-m", tag], in: directory)
            // v0.0.3 is an annotated tag (a tag object pointing at the commit).
            try Self.git(tag == "v0.0.3" ? ["tag", "-a", "-m", tag, tag] : ["tag", tag], in: directory)
            commits[tag] = try Self.git(["rev-parse", tag + "^{commit}"], in: directory)
        }
        commits["v0.0.3-tag-object"] = try Self.git(["rev-parse", "v0.0.3"], in: directory)
        try Self.git(["checkout", "-q", "-b", "feature"], in: directory)
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try Data("subfeature\n".utf8).write(to: directory.appendingPathComponent("sub/foo"))
        try Data("#!/bin/sh\necho run\n".utf8).write(to: directory.appendingPathComponent("sub/run.sh"))
        chmod(directory.appendingPathComponent("sub/run.sh").path, 0o755)
        try Self.git(["add", "sub"], in: directory)
        try Self.git(["commit", "-q", "-m", "feature"], in: directory)
        commits["feature"] = try Self.git(["rev-parse", "HEAD"], in: directory)
        try Self.git(["checkout", "-q", "master"], in: directory)
        try Self.git(["update-server-info"], in: directory)
        server = try StaticFileServer(root: directory.path)
    }

    func stop() { server.stop() }

    /// Runs git in `dir`; returns its trimmed standard output. Throws with stderr on failure.
    @discardableResult
    static func git(_ arguments: [String], in dir: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-c", "safe.directory=*"] + arguments  // an unpacked checkout is owned by --chown's uid
        process.currentDirectoryURL = dir
        var env = ProcessInfo.processInfo.environment
        env["GIT_CONFIG_NOSYSTEM"] = "1"
        env["GIT_CONFIG_GLOBAL"] = "/dev/null"
        process.environment = env
        let out = dir.deletingLastPathComponent().appendingPathComponent(".git-out-\(UUID().uuidString)")
        let err = dir.deletingLastPathComponent().appendingPathComponent(".git-err-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        process.waitUntilExit()
        let stdout = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
            throw NSError(domain: "git", code: Int(process.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: "git \(arguments.joined(separator: " ")): \(stderr)"])
        }
        return stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

import Foundation

/// Locates the shared conformance vectors (`../shared/vectors` beside the repository, or
/// `$KILN_SHARED/vectors`) and reads their files. Test-only.
public enum Vectors {
    /// The repository root, found from this source file's path.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `shared/` folder.
    public static let shared: URL = {
        if let env = ProcessInfo.processInfo.environment["KILN_SHARED"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")
    }()

    public static let root: URL = shared.appendingPathComponent("vectors")

    public static func url(_ relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }

    public static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: url(relativePath))
    }

    public static func text(_ relativePath: String) throws -> String {
        String(decoding: try data(relativePath), as: UTF8.self)
    }

    /// A file holding either one JSON array of objects or one JSON object per line.
    public static func records(_ relativePath: String) throws -> [[String: Any]] {
        let data = try data(relativePath)
        if let array = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as? [[String: Any]] {
            return array
        }
        return try String(decoding: data, as: UTF8.self)
            .split(separator: "\n")
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            .map { line in
                guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    throw CocoaError(.coderReadCorrupt)
                }
                return object
            }
    }

    /// Names of the sub-folders of a vector folder, sorted.
    public static func cases(in relativePath: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url(relativePath).path)
            .filter { name in
                var isDir: ObjCBool = false
                return FileManager.default.fileExists(atPath: url(relativePath).appendingPathComponent(name).path, isDirectory: &isDir) && isDir.boolValue
            }
            .sorted()
    }
}

/// Runs the built `kiln` executable (next to the test bundle) and captures its output. Test-only.
public struct KilnProcess {
    public struct Result {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    public static var executable: URL {
        if let env = ProcessInfo.processInfo.environment["KILN_BIN"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("kiln")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return Vectors.repositoryRoot.appendingPathComponent(".build/debug/kiln")
    }

    /// Runs kiln with `arguments` (``runCapturing(_:_:stdin:cwd:)``: output through files, waited
    /// for with `waitpid`; a detached child of kiln cannot hold the call open).
    @discardableResult
    public static func run(_ arguments: [String], stdin: Data? = nil, cwd: URL? = nil) throws -> Result {
        let result = try runCapturing(executable.path, arguments, stdin: stdin, cwd: cwd?.path)
        return Result(status: result.status, stdout: String(decoding: result.stdout, as: UTF8.self),
                      stderr: String(decoding: result.stderr, as: UTF8.self))
    }
}

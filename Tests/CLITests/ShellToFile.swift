import Foundation

/// Runs a bash script with its output in a temporary file rather than a pipe, so a daemon the
/// script leaves running (a registry, a killed kiln's leftovers) cannot hold the read open.
enum ShellToFile {
    /// The script's stdout and stderr, interleaved, once bash exits.
    static func bash(_ script: String) throws -> String {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-shell-\(UUID().uuidString).out")
        defer { try? FileManager.default.removeItem(at: out) }
        FileManager.default.createFile(atPath: out.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        let handle = try FileHandle(forWritingTo: out)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try handle.close()
        return try String(contentsOf: out, encoding: .utf8)
    }
}

import ArgumentParser
import Foundation
import LayerArchive

/// The Dockerfile and context of a build: a directory, or `-` (a Dockerfile or a tar on stdin).
struct BuildInput {
    var dockerfileText: String
    var dockerfileName: String
    var dockerfilePath: String?
    var contextDirectory: String?
    var temporary: String?

    static func prepare(context: String, file: String?) throws -> BuildInput {
        if context == "-" {
            let bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
            if looksLikeArchive(bytes) {
                let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-context-\(UInt64.random(in: 0...UInt64.max))").path
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                do {
                    _ = try LayerApplier(target: dir).apply(blob: InMemorySource(bytes))
                } catch {
                    printError("ERROR: failed to read the context from stdin: \(error)")
                    throw ExitCode(1)
                }
                var input = try fromDirectory(dir, file: file)
                input.temporary = dir
                return input
            }
            return BuildInput(dockerfileText: String(decoding: bytes, as: UTF8.self), dockerfileName: "Dockerfile",
                              dockerfilePath: nil, contextDirectory: nil)
        }
        return try fromDirectory(context, file: file)
    }

    private static func fromDirectory(_ context: String, file: String?) throws -> BuildInput {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: context, isDirectory: &isDirectory), isDirectory.boolValue else {
            printError("ERROR: unable to prepare context: path \"\(context)\" not found")
            throw ExitCode(1)
        }
        let path: String
        if let file, file == "-" {
            let bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
            return BuildInput(dockerfileText: String(decoding: bytes, as: UTF8.self), dockerfileName: "Dockerfile",
                              dockerfilePath: nil, contextDirectory: context)
        } else if let file {
            path = file.hasPrefix("/") || FileManager.default.fileExists(atPath: file) ? file : context + "/" + file
        } else {
            // Without -f: `Dockerfile`, else `dockerfile` (BuildKit's dockerui falls back to the
            // lower-case name; frontend/dockerfile testDockerfileLowercase).
            let lower = context + "/dockerfile"
            path = !FileManager.default.fileExists(atPath: context + "/Dockerfile") && FileManager.default.fileExists(atPath: lower)
                ? lower : context + "/Dockerfile"
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            printError("ERROR: failed to read dockerfile: open \(path): no such file or directory")
            throw ExitCode(1)
        }
        return BuildInput(dockerfileText: String(decoding: data, as: UTF8.self), dockerfileName: path,
                          dockerfilePath: path, contextDirectory: context)
    }

    private static func looksLikeArchive(_ bytes: [UInt8]) -> Bool {
        if bytes.count > 2, bytes[0] == 0x1F, bytes[1] == 0x8B { return true }
        guard bytes.count >= 262 else { return false }
        return Array(bytes[257..<262]) == Array("ustar".utf8)
    }

    func cleanup() {
        if let temporary { try? FileManager.default.removeItem(atPath: temporary) }
    }
}

import Foundation

extension IgnoreFile {
    /// The ignore file a build uses (BuildKit `frontend/dockerui`):
    /// `<Dockerfile name>.dockerignore` next to the Dockerfile (for `app/Dockerfile2` that is
    /// `app/Dockerfile2.dockerignore`) if it exists, otherwise `.dockerignore` at the root of the
    /// context, otherwise nil (no patterns).
    ///
    /// - Parameters:
    ///   - contextDirectory: the build context root.
    ///   - dockerfile: the Dockerfile path, or nil when there is none (only the context is looked at).
    public static func locate(contextDirectory: URL, dockerfile: URL?) -> URL? {
        var candidates: [URL] = []
        if let dockerfile {
            candidates.append(dockerfile.deletingLastPathComponent()
                .appendingPathComponent(dockerfile.lastPathComponent + ".dockerignore"))
        }
        candidates.append(contextDirectory.appendingPathComponent(".dockerignore"))
        for candidate in candidates {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory),
               !isDirectory.boolValue {
                return candidate
            }
        }
        return nil
    }

    /// Finds the build's ignore file with ``locate(contextDirectory:dockerfile:)`` and reads it with
    /// ``read(_:)``.
    ///
    /// - Returns: the file used (nil if none) and its patterns (empty if none).
    /// - Throws: a Foundation error if the file exists but cannot be read, or ``ReadError``.
    public static func load(contextDirectory: URL, dockerfile: URL?) throws -> (file: URL?, patterns: [String]) {
        guard let file = locate(contextDirectory: contextDirectory, dockerfile: dockerfile) else {
            return (nil, [])
        }
        let data = try Data(contentsOf: file)
        return (file, try read(Array(data)))
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A private temporary directory (mode 0700), removed recursively by `remove()`.
struct TemporaryDirectory: Sendable {
    let path: String

    init(prefix: String, parent: String? = nil) throws {
        let base = parent ?? ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array((base + "/" + prefix + "-XXXXXX").utf8CString)
        guard let result = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw ContainerRuntimeError.system("create a temporary directory", path: base)
        }
        path = String(cString: result)
    }

    /// Removes the directory and everything below it; never follows symlinks. Errors are ignored.
    func remove() {
        removeTree(path)
    }
}

/// Recursively removes `path` without following symlinks (not across mount points it cannot remove).
func removeTree(_ path: String) {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    if info.st_mode & S_IFMT == S_IFDIR {
        if let directory = opendir(path) {
            var names: [String] = []
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
                }
                if name != "." && name != ".." { names.append(name) }
            }
            closedir(directory)
            for name in names { removeTree(path + "/" + name) }
        }
        rmdir(path)
    } else {
        unlink(path)
    }
}

/// An OCI bundle on disk: `config.json` plus the generated /etc files. The root filesystem is not
/// in the bundle; `config.json` points at the spec's `rootfs` by absolute path.
struct ContainerBundle {
    let directory: TemporaryDirectory
    var path: String { directory.path }

    /// Writes the bundle for `spec` into a new directory below `parent`.
    static func create(_ spec: ContainerSpec, parent: String?) throws -> ContainerBundle {
        guard spec.rootfs.hasPrefix("/"), spec.cwd.hasPrefix("/") else {
            throw ContainerRuntimeError(.invalidUse, "the root filesystem and working directory must be absolute paths",
                                        path: spec.rootfs)
        }
        guard !spec.args.isEmpty else {
            throw ContainerRuntimeError(.invalidUse, "no command to run", path: spec.rootfs)
        }
        let directory = try TemporaryDirectory(prefix: "kiln-bundle", parent: parent)
        do {
            let etc = directory.path + "/etc"
            mkdir(etc, 0o755)
            chmod(directory.path, 0o711)
            for file in RuntimeConfig.etcMounts(spec.etcFiles) {
                try writeHostFile(etc + "/" + file.name, file.content)
            }
            let json = try RuntimeConfig.json(spec, etcDirectory: etc)
            try writeHostFile(directory.path + "/config.json", String(decoding: json, as: UTF8.self), mode: 0o600)
            return ContainerBundle(directory: directory)
        } catch {
            directory.remove()
            throw error
        }
    }

    func remove() {
        directory.remove()
    }
}

/// The destination of the symlink at `path`, or nil.
func readSymlink(_ path: String) -> String? {
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = buffer.withUnsafeMutableBytes { readlink(path, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) }
    guard count > 0, count < buffer.count else { return nil }
    return String(decoding: buffer[0..<count], as: UTF8.self)
}

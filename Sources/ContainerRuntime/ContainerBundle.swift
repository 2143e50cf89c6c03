import Foundation
import Synchronization
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
    /// With `configThroughPipe`: the read end of the pipe `config.json` links to (kept open until
    /// the runtime has read it; `releaseConfig()` closes it).
    var configPipe: ConfigPipe? = nil

    /// Writes the bundle for `spec` into a new directory below `parent`.
    ///
    /// With `configThroughPipe`, `config.json` is no file: it is a symlink to
    /// `/proc/<this process>/fd/<N>`, the read end of a pipe a background thread writes the document
    /// into, so the container's environment (runtime secrets) never reaches a disk. The runtime can
    /// read it once (`run`/`create`); `runc exec` then needs `--process`.
    static func create(_ spec: ContainerSpec, parent: String?, configThroughPipe: Bool = false) throws -> ContainerBundle {
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
            let json = try RuntimeConfig.json(spec, etcDirectory: etc, targets: MountTargets.prepare(spec))
            if configThroughPipe {
                let fd = try pipeDocument(Array(json))
                guard symlink("/proc/\(getpid())/fd/\(fd)", directory.path + "/config.json") == 0 else {
                    close(fd)
                    throw ContainerRuntimeError.system("symlink config.json", path: directory.path)
                }
                return ContainerBundle(directory: directory, configPipe: ConfigPipe(fd: fd))
            }
            try writeHostFile(directory.path + "/config.json", String(decoding: json, as: UTF8.self), mode: 0o600)
            return ContainerBundle(directory: directory)
        } catch {
            directory.remove()
            throw error
        }
    }

    func remove() {
        releaseConfig()
        directory.remove()
    }

    /// Closes the config pipe (after the runtime has read it).
    func releaseConfig() {
        configPipe?.close()
    }
}

/// The read end of a config pipe, closed once.
final class ConfigPipe: Sendable {
    let fd: Int32
    private let open = Mutex(true)
    init(fd: Int32) { self.fd = fd }
    func close() {
        open.withLock { isOpen in
            if isOpen { _ = Glibc.close(fd) }
            isOpen = false
        }
    }
}

/// A pipe holding `bytes` (written by a background thread, then closed): returns the read end.
func pipeDocument(_ bytes: [UInt8]) throws -> Int32 {
    var fds: [Int32] = [0, 0]
    guard makePipe(&fds) else { throw ContainerRuntimeError.system("pipe") }
    let writer = fds[1]
    let thread = Thread {
        var rest = bytes[...]
        while !rest.isEmpty {
            let count = rest.withUnsafeBytes { write(writer, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            rest = rest.dropFirst(count)
        }
        close(writer)
    }
    thread.start()
    return fds[0]
}

/// The destination of the symlink at `path`, or nil.
func readSymlink(_ path: String) -> String? {
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = buffer.withUnsafeMutableBytes { readlink(path, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) }
    guard count > 0, count < buffer.count else { return nil }
    return String(decoding: buffer[0..<count], as: UTF8.self)
}

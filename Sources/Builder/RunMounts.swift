import ConfinedFS
import ContainerRuntime
import DockerfileSyntax
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a RUN's `--mount` flags became: the container's extra mounts and environment, the
/// secret values to keep out of what kiln shows, and what to undo after the container exited.
final class PreparedMounts: @unchecked Sendable {
    var binds: [BindMount] = []
    var env: [String] = []
    var secretValues: [[UInt8]] = []
    /// A private tmpfs (mode 0700) for secret files and the container's bundle, whose config.json
    /// then carries `env=` secrets without touching a disk; nil when the RUN mounts no secret.
    var privateDirectory: String? { tmpfsMounts.first }
    fileprivate var rootMounts: [RootMount] = []
    fileprivate var leases: [CacheMountLease] = []
    fileprivate var forwardings: [SSHForwarding] = []
    fileprivate var tmpfsMounts: [String] = []
    /// Bind sources, held open while the container runs.
    fileprivate var sources: [ConfinedFD] = []

    /// Unmounts, unlocks and stops everything; idempotent.
    func release() async {
        for f in forwardings { await f.stop() }
        forwardings = []
        for m in rootMounts.reversed() { m.unmount() }
        rootMounts = []
        for path in tmpfsMounts.reversed() where umount2(path, 0) != 0 { _ = umount2(path, Int32(MNT_DETACH)) }
        tmpfsMounts = []
        for lease in leases { lease.release() }
        leases = []
        sources = []
    }
}

extension Builder {
    /// The secret id of a secret mount as BuildKit's `dispatchSecret` picks it: `source`, else
    /// `id`, else the target's base name.
    static func secretID(_ m: DockerfileSyntax.Mount) -> String {
        if !m.source.isEmpty { return m.source }
        if !m.cacheID.isEmpty { return m.cacheID }
        return m.target.isEmpty ? "" : (m.target.split(separator: "/").last.map(String.init) ?? "")
    }

    /// Checks what can be checked before the cache is consulted: ids and sources that would leave
    /// their root, a missing `required` secret or ssh agent.
    func validateMounts(_ mounts: [DockerfileSyntax.Mount], range: SourceRange) throws {
        for m in mounts {
            switch m.type {
            case .cache:
                if let problem = CacheMounts.validate(id: m.effectiveID) { throw BuildError.at(range, problem) }
                if !m.from.isEmpty || !m.source.isEmpty { _ = try Self.cleanSource(m.source, range: range) }
            case .bind:
                _ = try Self.cleanSource(m.source, range: range)
            case .secret:
                let id = Self.secretID(m)
                if id.isEmpty { throw BuildError.at(range, "one of source, target required") }
                if m.required && options.secrets[id] == nil {
                    throw BuildError.at(range, "secret \(id): not found (pass it with --secret id=\(id),src=FILE or id=\(id),env=VAR)")
                }
            case .ssh:
                let id = m.effectiveID
                if m.required && options.ssh[id] == nil {
                    throw BuildError.at(range, "no SSH agent or key with id \(GoQuote.quote(id)) forwarded from the client (pass --ssh \(id)=SOCKET|KEY)")
                }
            case .tmpfs:
                break
            }
        }
    }

    /// `source` cleaned as a path inside its root; refused when `..` would leave the root.
    static func cleanSource(_ source: String, range: SourceRange) throws -> String {
        var parts: [Substring] = []
        for part in source.split(separator: "/") where part != "." {
            if part == ".." {
                guard !parts.isEmpty else {
                    throw BuildError.at(range, "mount source \(GoQuote.quote(source)) points outside its root (the context, stage or image it is taken from)")
                }
                parts.removeLast()
            } else {
                parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The cache-key part a mount adds: a bind's source stage or image, a secret's keyed hash.
    func mountKey(_ m: DockerfileSyntax.Mount, range: SourceRange) throws -> String {
        switch m.type {
        case .bind, .cache:
            if m.from.isEmpty {
                return m.type == .bind ? "context:" + (try contextMountDigest(m.source, range: range)) : ""
            }
            if let i = StagePlan.stageIndex(m.from, stages: program.stages, before: program.stages.count), let s = finished[i] {
                return "stage:" + s.cacheKey
            }
            if let named = namedContext(for: m.from) {
                if case .directory(let path) = named.context {
                    return "named:\(named.key):" + Self.directoryFingerprint(path)
                }
                return "named:\(named.key):\(named.context)"
            }
            return "image:" + m.from
        case .secret:
            let id = Self.secretID(m)
            guard let value = options.secrets[id] else { return "secret:\(id):absent" }
            let key = try SecretDigest.storeKey(stateDirectory: store.location.stateDirectory)
            return "secret:\(id):" + SecretDigest.hmac(key: key, message: value)
        case .ssh, .tmpfs:
            return ""
        }
    }

    /// Makes every mount of a RUN ready below the step's scratch directory `dir`.
    func prepareMounts(_ mounts: [DockerfileSyntax.Mount], state: StageState, dir: URL, env: [String],
                       range: SourceRange) async throws -> PreparedMounts {
        let prepared = PreparedMounts()
        do {
            var sshCount = 0
            for (i, m) in mounts.enumerated() {
                let target = m.target.isEmpty ? "" : Self.joinPath(state.workingDirectory, m.target)
                switch m.type {
                case .tmpfs:
                    prepared.binds.append(BindMount(kind: .tmpfs, source: "tmpfs", target: target, readOnly: m.readOnly, size: m.sizeLimit))
                case .cache:
                    let lease = try await cacheMount(m, index: i, dir: dir, prepared: prepared, range: range)
                    prepared.binds.append(BindMount(source: try cacheSubpath(m, in: lease.path, range: range),
                                                    target: target, readOnly: m.readOnly))
                case .bind:
                    let source = try await bindSource(m, index: i, dir: dir, prepared: prepared, range: range)
                    prepared.binds.append(BindMount(source: source, target: target, readOnly: m.readOnly))
                case .secret:
                    try mountSecret(m, index: i, target: target, dir: dir, prepared: prepared, range: range)
                case .ssh:
                    let n = sshCount
                    sshCount += 1
                    guard let spec = options.ssh[m.effectiveID] else { continue }  // optional: skipped like BuildKit
                    let socketTarget = target.isEmpty ? "/run/buildkit/ssh_agent.\(n)" : target
                    let forwarding: SSHForwarding
                    do {
                        forwarding = try await SSHForwarding.start(spec, mode: m.effectiveMode ?? 0o600, uid: m.uid ?? 0, gid: m.gid ?? 0)
                    } catch let error as BuildError {
                        throw BuildError.at(range, error.message)
                    }
                    prepared.forwardings.append(forwarding)
                    prepared.binds.append(BindMount(source: forwarding.socketPath, target: socketTarget, readOnly: false))
                    if n == 0 && !(env + prepared.env).contains(where: { $0.hasPrefix("SSH_AUTH_SOCK=") }) {
                        prepared.env.append("SSH_AUTH_SOCK=" + socketTarget)
                    }
                }
            }
        } catch {
            await prepared.release()
            throw error
        }
        return prepared
    }

    /// A secret: a file on a private tmpfs (never on disk, never in the layer) bind-mounted
    /// read-only at the target, and/or an environment variable. A missing optional secret is
    /// skipped, as BuildKit does.
    private func mountSecret(_ m: DockerfileSyntax.Mount, index: Int, target: String, dir: URL,
                             prepared: PreparedMounts, range: SourceRange) throws {
        let id = Self.secretID(m)
        guard let value = options.secrets[id] else { return }
        prepared.secretValues.append(value)
        let secrets = dir.appendingPathComponent("secrets").path
        if !prepared.tmpfsMounts.contains(secrets) {
            try FileManager.default.createDirectory(atPath: secrets, withIntermediateDirectories: true)
            guard Glibc.mount("tmpfs", secrets, "tmpfs", UInt(MS_NOSUID | MS_NODEV), "mode=0700,size=16m") == 0 else {
                throw BuildError.at(range, "mount a tmpfs for secrets: \(String(cString: strerror(errno)))")
            }
            prepared.tmpfsMounts.append(secrets)
        }
        if let name = m.env, !name.isEmpty {
            prepared.env.append(name + "=" + String(decoding: value, as: UTF8.self))
        }
        let fileTarget = !target.isEmpty ? target : (m.env == nil ? "/run/secrets/" + (id.split(separator: "/").last.map(String.init) ?? id) : "")
        guard !fileTarget.isEmpty else { return }
        let file = secrets + "/\(index)"
        let fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw BuildError.at(range, "create the secret file: \(String(cString: strerror(errno)))") }
        var offset = 0
        while offset < value.count {
            let n = value.withUnsafeBytes { write(fd, $0.baseAddress! + offset, value.count - offset) }
            if n <= 0 { if errno == EINTR { continue }; close(fd); throw BuildError.at(range, "write the secret file failed") }
            offset += n
        }
        fchown(fd, m.uid ?? 0, m.gid ?? 0)
        fchmod(fd, mode_t(m.effectiveMode ?? 0o400))
        close(fd)
        prepared.binds.append(BindMount(source: file, target: fileTarget, readOnly: true))
    }

    /// What a cache mount shows: the cache directory, or with `source=` (and no `from=`) that
    /// path inside it, resolved confined to the cache (a symlink in the cache cannot lead out; a
    /// missing path is an error). BuildKit: the mount's selector (frontend/dockerfile
    /// testCacheMountSourceEscape).
    private func cacheSubpath(_ m: DockerfileSyntax.Mount, in root: String, range: SourceRange) throws -> String {
        guard m.from.isEmpty, !m.source.isEmpty else { return root }
        let clean = try Self.cleanSource(m.source, range: range)
        guard clean != "/" else { return root }
        guard let cache = try? ConfinedRoot(root), let resolved = (try? cache.resolve(clean)) ?? nil else {
            throw BuildError.at(range, "cache mount source \(GoQuote.quote(m.source)) not found in the cache \(GoQuote.quote(m.effectiveID))")
        }
        return resolved == "/" ? root : root + resolved
    }

    /// A cache mount's persistent directory, taken for its `sharing=` mode. Its identity is the
    /// id with uid/gid/mode (BuildKit bases such a cache on a directory made with them) and,
    /// with `from`, the seed it starts from.
    private func cacheMount(_ m: DockerfileSyntax.Mount, index: Int, dir: URL, prepared: PreparedMounts,
                            range: SourceRange) async throws -> CacheMountLease {
        // BuildKit prefixes cache ids with the BUILDKIT_CACHE_MOUNT_NS build arg (`NS/id`).
        let namespace = options.buildArgs["BUILDKIT_CACHE_MOUNT_NS"] ?? ""
        let id = namespace.isEmpty ? m.effectiveID : namespace + "/" + m.effectiveID
        var parts = [id, "\(String(describing: m.uid))", "\(String(describing: m.gid))", "\(String(describing: m.mode))"]
        if !m.from.isEmpty { parts += ["from", try mountKey(m, range: range), m.source] }
        let base = String(BuildCache.key("cache-mount", parts).prefix(32))
        let root = CacheMounts.directory(stateDirectory: store.location.stateDirectory).path
        let lease = try await CacheMounts.lease(base: base, in: root, sharing: m.sharing ?? .shared) { path in
            if m.from.isEmpty {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
                _ = chmod(path, mode_t(m.effectiveMode ?? 0o755))
                _ = chown(path, m.uid ?? 0, m.gid ?? 0)
                await self.restoreCacheMount(base, into: path)  // --cache-from …,cache-mounts=true
            } else {
                // Seeded from a stage or image path on first use (BuildKit: the cache starts as that snapshot).
                let seed = try await self.bindSource(m, index: index, dir: dir, prepared: prepared, range: range)
                guard let cp = HelperProcess.find("cp") else { throw BuildError.at(range, "cp not found to seed the cache mount") }
                var info = stat()
                guard stat(seed, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                    throw BuildError.at(range, "cache mount source \(GoQuote.quote(m.source)) is not a directory")
                }
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
                let status = try await HelperProcess.run(cp, ["-a", "--", seed + "/.", path + "/"])
                guard status == 0 else { throw BuildError.at(range, "seeding the cache mount from \(m.from) failed") }
            }
        }
        prepared.leases.append(lease)
        if lease.path.hasSuffix("/" + base) { lazyLayers.noteCacheMount(base, path: lease.path) }
        return lease
    }

    /// The host path a bind mount shows: a path in the context or in a stage's or image's root,
    /// resolved inside that root (symlinks cannot leave it). `rw` mounts get a throwaway overlay
    /// (or a copy of a single file) so their writes are discarded.
    private func bindSource(_ m: DockerfileSyntax.Mount, index: Int, dir: URL, prepared: PreparedMounts,
                            range: SourceRange) async throws -> String {
        let root: String
        let origin: String
        if m.from.isEmpty {
            guard let context = options.contextDirectory else { throw BuildError.at(range, "no build context for the bind mount") }
            // What BuildKit sends of the context: only what .dockerignore lets through (hard links).
            root = try contextIncluded.map {
                try Self.filteredTree(context, included: $0, into: dir.appendingPathComponent("context-\(index)"))
            } ?? context
            origin = "the build context"
        } else {
            var lowers: [URL] = []
            var directory: String?
            if let i = StagePlan.stageIndex(m.from, stages: program.stages, before: program.stages.count), let s = finished[i] {
                try await materializeLazy(s.snapshots)
                lowers = s.snapshots
            } else if let named = namedContext(for: m.from) {
                switch try await namedContextSource(named, scratch: dir, range: range) {
                case .lowers(let l, _): lowers = l
                case .directory(let path, let included, _):
                    // With its own .dockerignore, only what it lets through (hard links).
                    directory = try included.map {
                        try Self.filteredTree(path, included: $0, into: dir.appendingPathComponent("context-\(index)"))
                    } ?? path
                }
            } else {
                lowers = try await images.snapshots(for: try await resolveImage(m.from, range: range))
            }
            if let directory {
                root = directory
            } else {
                let target = dir.appendingPathComponent("from-\(index)").path
                let mount = try RootMount.mount(lowers: lowers.map(\.path), upper: nil, work: nil, target: target)
                prepared.rootMounts.append(mount)
                root = target
            }
            origin = m.from
        }
        let clean = try Self.cleanSource(m.source, range: range)
        // Resolved inside its root (symlinks cannot leave it) through ConfinedFS. The runtime
        // bind-mounts from its own mount namespace, where a descriptor's mount is foreign
        // (EINVAL), so it gets the resolved path: it has no symlinks, and the root is kiln's
        // read-only overlay of a stage or image (or the context) that nothing changes meanwhile.
        let handle: ConfinedFD
        let resolved: String
        do {
            let confined = try ConfinedRoot(root)
            guard let found = try confined.openIfPresent(clean) else {
                throw BuildError.at(range, "mount source \(GoQuote.quote(m.source)) not found in \(origin)")
            }
            handle = found
            let inRoot = try confined.pathInRoot(of: found)
            resolved = inRoot == "/" ? root : root + inRoot
        } catch let error as ConfinedFSError {
            throw BuildError.at(range, "mount source \(GoQuote.quote(m.source)) in \(origin): \(error)")
        }
        prepared.sources.append(handle)
        guard m.type == .bind, !m.readOnly else { return resolved }
        let info = try handle.stat()
        let scratch = dir.appendingPathComponent("rw-\(index)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        if info.st_mode & S_IFMT != S_IFDIR {
            let copy = scratch.appendingPathComponent("file").path
            try Self.copyFile(handle, info, to: copy, range: range)
            return copy
        }
        let upper = scratch.appendingPathComponent("upper").path, work = scratch.appendingPathComponent("work").path
        for d in [upper, work] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        let mount = try RootMount.mount(lowers: [resolved], upper: upper, work: work, target: scratch.appendingPathComponent("merged").path)
        prepared.rootMounts.append(mount)
        return mount.target
    }

    /// Copies the regular file `handle` names to the new host file `destination`, with its mode
    /// and owner (a rw bind's private copy).
    private static func copyFile(_ handle: ConfinedFD, _ info: stat, to destination: String, range: SourceRange) throws {
        let input = open(handle.procPath, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard input >= 0 else { throw BuildError.at(range, "open the bind mount source: \(String(cString: strerror(errno)))") }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw BuildError.at(range, "create \(destination): \(String(cString: strerror(errno)))") }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw BuildError.at(range, "read the bind mount source: \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            var offset = 0
            while offset < count {
                let written = buffer.withUnsafeBytes { write(output, $0.baseAddress! + offset, count - offset) }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { throw BuildError.at(range, "write \(destination): \(String(cString: strerror(errno)))") }
                offset += written
            }
        }
        _ = fchown(output, info.st_uid, info.st_gid)
        _ = fchmod(output, info.st_mode & 0o7777)
    }
}

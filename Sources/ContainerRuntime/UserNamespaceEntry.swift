import CUserNamespace
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How kiln runs for a user without root: the whole command re-executes itself in a new user and
/// mount namespace where it is uid 0 (Podman's and Buildah's model). There overlay mounts, runc and
/// pasta work unprivileged; files keep their image owners through the subordinate-id map.
///
/// The re-executed process carries `_KILN_USERNS` in its environment (`range` or `single`, the
/// kind of map), so it neither enters again nor takes itself for the host's root: the store stays
/// the user's own (see `StoreLocation`). When no namespace can be made (an unprivileged container
/// that forbids them), kiln goes on as the plain user with `_KILN_USERNS=unavailable:REASON`.
public enum UserNamespaceEntry {
    /// The environment variable carrying the state described above.
    public static let variable = "_KILN_USERNS"

    /// What this process is.
    public enum State: Sendable, Equatable {
        /// The host's root (or any euid 0 outside kiln's namespace): no namespace needed.
        case hostRoot
        /// Inside kiln's namespace, with a subordinate range (`ranged`) or the single-id map.
        case inside(ranged: Bool)
        /// A plain user for whom no namespace could be made (the reason says why).
        case unavailable(String)
        /// A plain user not yet in a namespace.
        case outside
    }

    public static func state(environment: [String: String] = ProcessInfo.processInfo.environment) -> State {
        switch environment[variable] {
        case "range"?: return .inside(ranged: true)
        case "single"?: return .inside(ranged: false)
        case let value? where value.hasPrefix("unavailable:"):
            return .unavailable(String(value.dropFirst("unavailable:".count)))
        default: return geteuid() == 0 ? .hostRoot : .outside
        }
    }

    /// For a plain user not yet in a namespace: runs this same command in a new one and exits with
    /// its status (never returns then). Returns when nothing is to be done (root, already inside) or
    /// when no namespace can be made; then `_KILN_USERNS` records why, for `--isolation` to report.
    public static func reexecIfNeeded() {
        guard state() == .outside else { return }
        do {
            let status = try runInNamespace()
            exit(Int32(status))
        } catch {
            setenv(variable, "unavailable:\(error)", 1)
        }
    }

    /// The note printed when the user has no subordinate range, or no newuidmap.
    public static func singleIDNote(user: String) -> String {
        "kiln runs rootless with a single-id user namespace (no range for \(user) in /etc/subuid and /etc/subgid, "
            + "or no newuidmap/newgidmap): only uid and gid 0 exist inside, so images with files owned by any other "
            + "user or group cannot be unpacked. Add a range (as root): usermod --add-subuids 100000-165535 "
            + "--add-subgids 100000-165535 \(user), and install newuidmap (apt-get install uidmap)"
    }

    private static func runInNamespace() throws -> Int32 {
        let uid = getuid(), gid = getgid()
        let user = userName(uid)
        let subuid = (try? String(contentsOfFile: "/etc/subuid", encoding: .utf8)) ?? ""
        let subgid = (try? String(contentsOfFile: "/etc/subgid", encoding: .utf8)) ?? ""
        let uidRange = SubordinateIDs.range(in: subuid, name: user, id: uid)
        let gidRange = SubordinateIDs.range(in: subgid, name: user, id: gid)
        let newuidmap = helper("newuidmap"), newgidmap = helper("newgidmap")
        let ranged = uidRange != nil && gidRange != nil && newuidmap != nil && newgidmap != nil

        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var environment = ProcessInfo.processInfo.environment
        environment[variable] = ranged ? "range" : "single"
        let argv = CommandLine.arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }

        var control: Int32 = -1
        let pid = kiln_userns_spawn(executable, argv, envp, &control)
        guard pid > 0 else {
            throw ContainerRuntimeError.system(.invalidUse, "create a user namespace (unshare CLONE_NEWUSER)", path: executable)
        }
        do {
            if ranged, let newuidmap, let newgidmap, let uidRange, let gidRange {
                try runHelper(newuidmap, pid: pid, SubordinateIDs.mappings(id: uid, range: uidRange))
                try runHelper(newgidmap, pid: pid, SubordinateIDs.mappings(id: gid, range: gidRange))
            } else {
                try write("/proc/\(pid)/uid_map", "0 \(uid) 1\n")
                try write("/proc/\(pid)/setgroups", "deny")
                try write("/proc/\(pid)/gid_map", "0 \(gid) 1\n")
            }
        } catch {
            kiln_userns_release(control, 0)
            _ = kiln_userns_wait(pid)
            throw error
        }
        kiln_userns_release(control, 1)
        return kiln_userns_wait(pid)
    }

    private static func runHelper(_ path: String, pid: pid_t, _ mappings: [SubordinateIDs.Mapping]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["\(pid)"] + SubordinateIDs.helperArguments(mappings)
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ContainerRuntimeError(.invalidUse, "\(path) failed (exit status \(process.terminationStatus)): "
                                        + message.trimmingCharacters(in: .whitespacesAndNewlines), path: path)
        }
    }

    private static func write(_ path: String, _ text: String) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ContainerRuntimeError.system(.invalidUse, "open", path: path) }
        defer { close(fd) }
        let written = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        guard written == text.utf8.count else { throw ContainerRuntimeError.system(.invalidUse, "write", path: path) }
    }

    private static func helper(_ name: String) -> String? {
        for directory in ["/usr/bin", "/usr/sbin", "/bin", "/sbin"] {
            let path = directory + "/" + name
            if access(path, X_OK) == 0 { return path }
        }
        return nil
    }

    private static func userName(_ uid: uid_t) -> String? {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return nil }
        return String(cString: name)
    }
}

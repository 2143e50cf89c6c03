import CUserNamespace
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How kiln runs for a user without root: the whole command moves into a new user and mount
/// namespace where it is uid 0 (Podman's and Buildah's model). There overlay mounts, runc and pasta
/// work unprivileged; files keep their image owners through the subordinate-id map.
///
/// kiln enters in place, before it starts any thread (`kiln_userns_enter`: a helper child outside
/// writes the maps, the process itself unshares), so a rootless command costs one fork and the two
/// map helpers more than root's, not a second start of kiln. Should threads already run, it
/// re-executes itself in a namespace instead (`kiln_userns_spawn`).
///
/// The process in the namespace carries `_KILN_USERNS` in its environment (`range` or `single`, the
/// kind of map), so neither it nor its children enter again or take themselves for the host's root:
/// the store stays the user's own (see `StoreLocation`). When no namespace can be made (an
/// unprivileged container that forbids them), kiln goes on as the plain user with
/// `_KILN_USERNS=unavailable:REASON`.
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
        let plan = MapPlan()
        if isSingleThreaded() {
            enterInPlace(plan)
            return
        }
        do {
            let status = try runInNamespace(plan)
            exit(Int32(status))
        } catch {
            setenv(variable, "unavailable:\(error)", 1)
        }
    }

    /// What the namespace's maps will be: the user's subordinate ranges through newuidmap/newgidmap,
    /// or the single-id map when either is missing.
    private struct MapPlan {
        let uid = getuid(), gid = getgid()
        let uidRange: SubordinateIDs.Range?, gidRange: SubordinateIDs.Range?
        let newuidmap: String?, newgidmap: String?
        init() {
            let user = UserNamespaceEntry.userName(uid)
            let subuid = (try? String(contentsOfFile: "/etc/subuid", encoding: .utf8)) ?? ""
            let subgid = (try? String(contentsOfFile: "/etc/subgid", encoding: .utf8)) ?? ""
            uidRange = SubordinateIDs.range(in: subuid, name: user, id: uid)
            gidRange = SubordinateIDs.range(in: subgid, name: user, id: gid)
            newuidmap = UserNamespaceEntry.helper("newuidmap")
            newgidmap = UserNamespaceEntry.helper("newgidmap")
        }
        var ranged: Bool { uidRange != nil && gidRange != nil && newuidmap != nil && newgidmap != nil }
        /// newuidmap's and newgidmap's command lines for `pid`, nil for the single-id map.
        func helperCommands(pid: pid_t) -> (uid: [String], gid: [String])? {
            guard ranged, let newuidmap, let newgidmap else { return nil }
            return ([newuidmap, "\(pid)"] + SubordinateIDs.helperArguments(SubordinateIDs.mappings(id: uid, range: uidRange)),
                    [newgidmap, "\(pid)"] + SubordinateIDs.helperArguments(SubordinateIDs.mappings(id: gid, range: gidRange)))
        }
    }

    /// unshare(CLONE_NEWUSER) needs a single-threaded process: true when /proc/self/task has one entry.
    private static func isSingleThreaded() -> Bool {
        guard let directory = opendir("/proc/self/task") else { return false }
        defer { closedir(directory) }
        var tasks = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { tasks += 1 }
        }
        return tasks == 1
    }

    /// Enters the namespace in this process (see `kiln_userns_enter`); when the maps fail, this
    /// process is the helper left outside and goes on as the plain user, saying why.
    private static func enterInPlace(_ plan: MapPlan) {
        var message = [CChar](repeating: 0, count: 1024)
        let result = withMapArgv(plan, pid: getpid()) { uid, gid in
            kiln_userns_enter(uid, gid, plan.uid, plan.gid, &message, message.count)
        }
        let text = messageText(message)
        switch result {
        case 0:
            setenv(variable, plan.ranged ? "range" : "single", 1)
        case -2:
            FileHandle.standardError.write(Data("kiln: \(text)\n".utf8))
            exit(125)
        case 1:
            setenv(variable, "unavailable:\(text)", 1)
        default:
            let reason = ContainerRuntimeError.system(.invalidUse, "create a user namespace (unshare CLONE_NEWUSER)",
                                                      path: CommandLine.arguments[0])
            setenv(variable, "unavailable:\(reason)", 1)
        }
    }

    /// Runs `body` with newuidmap's and newgidmap's argv for `pid` (both nil for the single-id map),
    /// as `kiln_userns_enter` and `kiln_userns_write_maps` take them.
    private static func withMapArgv<R>(_ plan: MapPlan, pid: pid_t,
                                       _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>?,
                                                UnsafePointer<UnsafeMutablePointer<CChar>?>?) -> R) -> R {
        guard let commands = plan.helperCommands(pid: pid) else { return body(nil, nil) }
        let uidArgv = commands.uid.map { strdup($0) } + [nil]
        let gidArgv = commands.gid.map { strdup($0) } + [nil]
        defer { for pointer in uidArgv + gidArgv { free(pointer) } }
        return uidArgv.withUnsafeBufferPointer { uid in gidArgv.withUnsafeBufferPointer { gid in body(uid.baseAddress, gid.baseAddress) } }
    }

    /// The text a C function left in `message`, trimmed.
    private static func messageText(_ message: [CChar]) -> String {
        String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The note printed when the user has no subordinate range, or no newuidmap.
    public static func singleIDNote(user: String) -> String {
        "kiln runs rootless with a single-id user namespace (no range for \(user) in /etc/subuid and /etc/subgid, "
            + "or no newuidmap/newgidmap): only uid and gid 0 exist inside, so images with files owned by any other "
            + "user or group cannot be unpacked. Add a range (as root): usermod --add-subuids 100000-165535 "
            + "--add-subgids 100000-165535 \(user), and install newuidmap (apt-get install uidmap)"
    }

    private static func runInNamespace(_ plan: MapPlan) throws -> Int32 {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var environment = ProcessInfo.processInfo.environment
        environment[variable] = plan.ranged ? "range" : "single"
        let argv = CommandLine.arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }

        var control: Int32 = -1
        let pid = kiln_userns_spawn(executable, argv, envp, &control)
        guard pid > 0 else {
            throw ContainerRuntimeError.system(.invalidUse, "create a user namespace (unshare CLONE_NEWUSER)", path: executable)
        }
        var message = [CChar](repeating: 0, count: 1024)
        let mapped = withMapArgv(plan, pid: pid) { uid, gid in
            kiln_userns_write_maps(pid, uid, gid, plan.uid, plan.gid, &message, message.count)
        }
        guard mapped == 0 else {
            kiln_userns_release(control, 0)
            _ = kiln_userns_wait(pid)
            throw ContainerRuntimeError(.invalidUse, messageText(message))
        }
        kiln_userns_release(control, 1)
        return kiln_userns_wait(pid)
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

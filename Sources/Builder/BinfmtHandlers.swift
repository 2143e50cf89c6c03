import Foundation
import ImageSpec

/// The kernel's binfmt_misc handlers (`/proc/sys/fs/binfmt_misc`): how a RUN step for a foreign
/// architecture runs, through QEMU user-mode emulation.
///
/// A handler is usable from inside a container only with the fix-binary flag (`F`): the kernel
/// opens the interpreter when the handler is registered, so it need not exist in the container's
/// root filesystem. A handler serves an architecture when its magic is that architecture's ELF
/// header (class, byte order and `e_machine`) at offset 0.
public struct BinfmtHandlers: Sendable {
    public struct Handler: Sendable, Equatable {
        public var name: String
        public var enabled: Bool
        public var flags: String
        public var interpreter: String
        public var magic: [UInt8]
    }

    /// ELF identity of an architecture: class (1 = 32-bit, 2 = 64-bit), data (1 = little-endian,
    /// 2 = big-endian), `e_machine`, and the name Debian's qemu-user-static gives its handler.
    struct ELFMachine {
        var elfClass: UInt8, data: UInt8, machine: UInt16, qemu: String
    }

    static let machines: [String: ELFMachine] = [
        "amd64": ELFMachine(elfClass: 2, data: 1, machine: 0x3e, qemu: "x86_64"),
        "386": ELFMachine(elfClass: 1, data: 1, machine: 0x03, qemu: "i386"),
        "arm64": ELFMachine(elfClass: 2, data: 1, machine: 0xb7, qemu: "aarch64"),
        "arm": ELFMachine(elfClass: 1, data: 1, machine: 0x28, qemu: "arm"),
        "riscv64": ELFMachine(elfClass: 2, data: 1, machine: 0xf3, qemu: "riscv64"),
        "ppc64le": ELFMachine(elfClass: 2, data: 1, machine: 0x15, qemu: "ppc64le"),
        "s390x": ELFMachine(elfClass: 2, data: 2, machine: 0x16, qemu: "s390x"),
        "mips64le": ELFMachine(elfClass: 2, data: 1, machine: 0x08, qemu: "mips64el"),
    ]

    public static let defaultDirectory = "/proc/sys/fs/binfmt_misc"
    public let directory: String

    public init(directory: String = BinfmtHandlers.defaultDirectory) {
        self.directory = directory
    }

    /// Whether binfmt_misc is mounted at ``directory``.
    public var isMounted: Bool { FileManager.default.fileExists(atPath: directory + "/status") }

    /// The registered handlers (unreadable entries are skipped).
    public func handlers() -> [Handler] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.sorted().filter { $0 != "register" && $0 != "status" }.compactMap { name in
            guard let text = try? String(contentsOfFile: directory + "/" + name, encoding: .utf8) else { return nil }
            return Self.parse(name: name, text)
        }
    }

    /// One handler file: `enabled`, `interpreter PATH`, `flags: PF`, `offset 0`, `magic HEX`.
    static func parse(name: String, _ text: String) -> Handler? {
        var handler = Handler(name: name, enabled: false, flags: "", interpreter: "", magic: [])
        var offset = 0
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            switch parts.first {
            case "enabled": handler.enabled = true
            case "interpreter": handler.interpreter = parts.count > 1 ? parts[1] : ""
            case "flags:": handler.flags = parts.count > 1 ? parts[1] : ""
            case "offset": offset = Int(parts.count > 1 ? parts[1] : "") ?? -1
            case "magic": handler.magic = Self.bytes(hex: parts.count > 1 ? parts[1] : "")
            default: break
            }
        }
        return offset == 0 ? handler : nil
    }

    private static func bytes(hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var chars = Array(hex.utf8)[...]
        while chars.count >= 2, let byte = UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16) {
            result.append(byte)
            chars = chars.dropFirst(2)
        }
        return result
    }

    /// Whether this machine runs `platform`'s binaries without emulation.
    public static func runsNatively(_ platform: Platform) -> Bool {
        let arch = platform.normalized().architecture, host = Platform.host.normalized().architecture
        return arch == host || (host == "amd64" && arch == "386") || (host == "arm64" && arch == "arm")
    }

    /// The enabled handler that runs `platform`'s ELF binaries, nil when none is registered.
    public func handler(for platform: Platform) -> Handler? {
        guard let machine = Self.machines[platform.normalized().architecture] else { return nil }
        return handlers().first { $0.enabled && Self.matches($0.magic, machine) }
    }

    static func matches(_ magic: [UInt8], _ machine: ELFMachine) -> Bool {
        guard magic.count >= 20, magic[0...3] == [0x7f, 0x45, 0x4c, 0x46] else { return false }
        let e = machine.data == 1 ? [UInt8(machine.machine & 0xff), UInt8(machine.machine >> 8)]
                                  : [UInt8(machine.machine >> 8), UInt8(machine.machine & 0xff)]
        return magic[4] == machine.elfClass && magic[5] == machine.data && Array(magic[18...19]) == e
    }

    /// Throws ``BuildError`` unless a RUN for `platform` can run here: natively, or through an
    /// enabled handler with the F flag. The error names the missing handler and how to add it.
    public func checkRunnable(_ platform: Platform) throws {
        if Self.runsNatively(platform) { return }
        let shown = Builder.platformArgValue(platform)
        guard let machine = Self.machines[platform.normalized().architecture] else {
            throw BuildError("cannot run a RUN step for \(shown) on this \(Platform.host) machine: kiln knows no QEMU emulator for architecture \(platform.architecture)")
        }
        let name = "qemu-\(machine.qemu)"
        let howTo = "as root, run `kiln setup-binfmt` (it registers the handlers of Debian's qemu-user-static: apt-get install qemu-user-static)"
        guard isMounted else {
            throw BuildError("cannot run a RUN step for \(shown) on this \(Platform.host) machine: binfmt_misc is not mounted at \(directory), so no \(name) handler can emulate it; \(howTo)")
        }
        guard let handler = handler(for: platform) else {
            throw BuildError("cannot run a RUN step for \(shown) on this \(Platform.host) machine: no binfmt_misc handler for \(machine.qemu) binaries (\(name)) in \(directory); \(howTo)")
        }
        guard handler.flags.contains("F") else {
            throw BuildError("cannot run a RUN step for \(shown): the binfmt_misc handler \(handler.name) is registered without the F (fix binary) flag, so its interpreter \(handler.interpreter) cannot be found inside a container; remove it (echo -1 > \(directory)/\(handler.name)) and \(howTo)")
        }
    }
}

extension BinfmtHandlers {
    /// Where Debian's qemu-user-static puts its handler lines (`:qemu-aarch64:M::magic:mask:interpreter:OPF`).
    public static let debianConfigDirectory = "/usr/lib/binfmt.d"

    /// `kiln setup-binfmt`: mounts binfmt_misc when it is not, then registers each `qemu-*.conf`
    /// handler of `configDirectory` that is not registered yet and has the F flag, for architectures
    /// this machine does not run natively. Returns the names registered (empty: nothing was missing).
    /// Needs root. Throws ``BuildError`` naming what failed.
    public func registerQemuHandlers(configDirectory: String = BinfmtHandlers.debianConfigDirectory) throws -> [String] {
        if !isMounted, mount("binfmt_misc", directory, "binfmt_misc", 0, nil) != 0 {
            throw BuildError("cannot mount binfmt_misc at \(directory): \(String(cString: strerror(errno))) (run as root)")
        }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: configDirectory)) ?? [])
            .filter { $0.hasPrefix("qemu-") && $0.hasSuffix(".conf") }.sorted()
        guard !files.isEmpty else {
            throw BuildError("no QEMU handlers in \(configDirectory): install Debian's qemu-user-static (apt-get install qemu-user-static)")
        }
        let present = Set(handlers().map(\.name))
        let host = Self.machines[Platform.host.normalized().architecture]?.qemu
        var registered: [String] = []
        for file in files {
            guard let line = try? String(contentsOfFile: configDirectory + "/" + file, encoding: .utf8)
                .split(separator: "\n").first(where: { $0.hasPrefix(":") }).map(String.init) else { continue }
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 8 else { continue }
            let name = String(fields[1])
            guard !present.contains(name), name != "qemu-\(host ?? "")", fields[7].contains("F") else { continue }
            do {
                try Data(line.utf8).write(to: URL(fileURLWithPath: directory + "/register"))
            } catch {
                throw BuildError("cannot register \(name) in \(directory)/register: \(error)")
            }
            registered.append(name)
        }
        return registered
    }
}

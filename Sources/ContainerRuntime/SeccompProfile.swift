import CUserNamespace
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A seccomp profile in Docker's JSON format (`docker run --security-opt seccomp=FILE`): a default
/// action, an architecture map and syscall rules that may apply only on some architectures, with
/// some capabilities or from some kernel version on. `resolved(...)` turns it into the OCI
/// runtime-spec `linux.seccomp` object for one container, dropping the rules that do not apply.
///
/// `dockerDefault` is Docker's default profile (moby `profiles/seccomp/default.json`, the version
/// with `defaultErrnoRet` 1): an allow-list, so a syscall it does not name (`unshare`, `mount`,
/// `keyctl`, `add_key`, `bpf`, `ptrace` on kernels before 4.8 …) fails with EPERM unless the
/// container holds the capability a conditional rule names. runc answers ENOSYS for syscalls newer
/// than it knows, as under Docker.
public struct SeccompProfile: Codable, Sendable, Equatable {
    public var defaultAction: String
    public var defaultErrnoRet: UInt32?
    public var archMap: [ArchitectureMap]?
    /// The OCI format's plain list (a profile may give it instead of `archMap`).
    public var architectures: [String]?
    public var syscalls: [Rule]?

    public struct ArchitectureMap: Codable, Sendable, Equatable {
        public var architecture: String
        public var subArchitectures: [String]?
    }

    public struct Rule: Codable, Sendable, Equatable {
        public var names: [String]?
        /// Docker's older single-name form.
        public var name: String?
        public var action: String
        public var errnoRet: UInt32?
        public var args: [Argument]?
        public var includes: Filter?
        public var excludes: Filter?
        public var comment: String?

        public init(_ names: [String], action: String = "SCMP_ACT_ALLOW", errnoRet: UInt32? = nil, args: [Argument]? = nil,
                    includes: Filter? = nil, excludes: Filter? = nil) {
            self.names = names
            self.action = action
            self.errnoRet = errnoRet
            self.args = args
            self.includes = includes
            self.excludes = excludes
        }
    }

    public struct Argument: Codable, Sendable, Equatable {
        public var index: UInt32
        public var value: UInt64
        public var valueTwo: UInt64?
        public var op: String

        public init(index: UInt32, value: UInt64, valueTwo: UInt64? = nil, op: String) {
            self.index = index
            self.value = value
            self.valueTwo = valueTwo
            self.op = op
        }
    }

    /// When a rule applies: every listed capability held, the architecture listed, the kernel at
    /// least `minKernel` (`includes`); none of the capabilities held and the architecture not
    /// listed (`excludes`).
    public struct Filter: Codable, Sendable, Equatable {
        public var caps: [String]?
        public var arches: [String]?
        public var minKernel: String?

        public init(caps: [String]? = nil, arches: [String]? = nil, minKernel: String? = nil) {
            self.caps = caps
            self.arches = arches
            self.minKernel = minKernel
        }
    }

    /// Reads a Docker-format profile (also accepts the OCI `linux.seccomp` shape).
    ///
    /// - Throws: `ContainerRuntimeError` `.invalidUse` naming the file and what is wrong.
    public static func load(path: String) throws -> SeccompProfile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ContainerRuntimeError(.invalidUse, "cannot read the seccomp profile", path: path)
        }
        return try decode(data, source: path)
    }

    /// A profile from its JSON text; `source` names it in errors.
    public static func decode(_ data: Data, source: String) throws -> SeccompProfile {
        let path = source
        do {
            let profile = try JSONDecoder().decode(SeccompProfile.self, from: data)
            guard profile.defaultAction.hasPrefix("SCMP_ACT_") else {
                throw ContainerRuntimeError(.invalidUse, "the seccomp profile's defaultAction \(profile.defaultAction) is not a SCMP_ACT_ action", path: path)
            }
            return profile
        } catch let error as ContainerRuntimeError {
            throw error
        } catch {
            throw ContainerRuntimeError(.invalidUse, "the seccomp profile is not valid JSON in Docker's format: \(error)", path: path)
        }
    }

    /// The OCI `linux.seccomp` object for a container holding `capabilities` on `architecture`
    /// (Go's name: amd64, arm64 …) under kernel `kernel` ("6.1.0-…").
    ///
    /// `kernelRunsX32`: whether the kernel has the x32 ABI. When it has not, SCMP_ARCH_X32 is left out of
    /// the filter's architectures: no x32 program can be executed there and an x32 syscall number fails
    /// either way, so the filter means the same — and runc compiles one architecture fewer, about 7 ms
    /// of every container start on this project's machines (bench/results/20261204-seccomp-arches.md).
    public func resolved(capabilities: [String], architecture: String = SeccompProfile.nativeArchitecture,
                         kernel: String = SeccompProfile.kernelRelease,
                         kernelRunsX32: Bool = SeccompProfile.kernelRunsX32) -> [String: Any] {
        var object: [String: Any] = ["defaultAction": defaultAction]
        if let defaultErrnoRet { object["defaultErrnoRet"] = defaultErrnoRet }
        let native = Self.libseccompArchitecture(architecture)
        if let archMap {
            if let entry = archMap.first(where: { $0.architecture == native }) {
                object["architectures"] = ([entry.architecture] + (entry.subArchitectures ?? []))
                    .filter { $0 != "SCMP_ARCH_X32" || kernelRunsX32 }
            }
        } else if let architectures {
            object["architectures"] = architectures
        }
        let held = Set(capabilities)
        var rules: [[String: Any]] = []
        for rule in syscalls ?? [] where Self.applies(rule, capabilities: held, architecture: architecture, kernel: kernel) {
            let names = rule.names ?? rule.name.map { [$0] } ?? []
            guard !names.isEmpty else { continue }
            var entry: [String: Any] = ["names": names, "action": rule.action]
            if let errno = rule.errnoRet { entry["errnoRet"] = errno }
            if let args = rule.args, !args.isEmpty {
                entry["args"] = args.map { ["index": $0.index, "value": $0.value, "valueTwo": $0.valueTwo ?? 0, "op": $0.op] as [String: Any] }
            }
            rules.append(entry)
        }
        object["syscalls"] = rules
        return object
    }

    static func applies(_ rule: Rule, capabilities: Set<String>, architecture: String, kernel: String) -> Bool {
        if let include = rule.includes {
            if let caps = include.caps, !caps.allSatisfy(capabilities.contains) { return false }
            if let arches = include.arches, !arches.isEmpty, !arches.contains(architecture) { return false }
            if let minimum = include.minKernel, !kernelAtLeast(kernel, minimum) { return false }
        }
        if let exclude = rule.excludes {
            if let caps = exclude.caps, caps.contains(where: capabilities.contains) { return false }
            if let arches = exclude.arches, arches.contains(architecture) { return false }
        }
        return true
    }

    /// Whether kernel release `release` ("5.10.0-21-amd64") is at least `minimum` ("4.8").
    public static func kernelAtLeast(_ release: String, _ minimum: String) -> Bool {
        func numbers(_ text: String) -> [Int] {
            text.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        }
        let have = numbers(release), want = numbers(minimum)
        for (a, b) in zip(have + [0, 0], want + [0, 0]).prefix(2) where a != b { return a > b }
        return true
    }

    /// libseccomp's name of a Go architecture name (amd64 → SCMP_ARCH_X86_64).
    static func libseccompArchitecture(_ goArch: String) -> String {
        switch goArch {
        case "amd64": return "SCMP_ARCH_X86_64"
        case "386", "x86": return "SCMP_ARCH_X86"
        case "arm64": return "SCMP_ARCH_AARCH64"
        case "arm": return "SCMP_ARCH_ARM"
        case "ppc64le": return "SCMP_ARCH_PPC64LE"
        case "s390x": return "SCMP_ARCH_S390X"
        case "riscv64": return "SCMP_ARCH_RISCV64"
        default: return "SCMP_ARCH_" + goArch.uppercased()
        }
    }

    /// This machine's architecture, by Go's name.
    public static var nativeArchitecture: String {
        #if arch(x86_64)
        return "amd64"
        #elseif arch(arm64)
        return "arm64"
        #elseif arch(s390x)
        return "s390x"
        #elseif arch(powerpc64le)
        return "ppc64le"
        #else
        return "unknown"
        #endif
    }

    /// Whether this kernel runs x32 syscalls: an x32 `getpid` (the x32 bit set on x86-64's number 39)
    /// answers ENOSYS on a kernel built without CONFIG_X86_X32_ABI or booted with it off.
    public static let kernelRunsX32: Bool = kiln_kernel_runs_x32() == 1

    /// `uname -r`.
    public static var kernelRelease: String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: name.release) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }
}

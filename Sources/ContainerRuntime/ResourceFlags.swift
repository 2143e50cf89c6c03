import Foundation

/// Docker's resource flags of `docker run` as its CLI parses them and its daemon checks them, turned into
/// `ResourceLimits`: sizes in go-units' RAM spelling (`32m`, `1.5g`, `64MiB`; binary units), `--memory-swap -1`,
/// `--cpus` as a decimal, `--cpuset-cpus` as a CPU list, `--pids-limit` with 0 and -1 for unlimited. The error
/// texts are Docker's (the CLI's "invalid argument … for … flag", the daemon's "Minimum memory limit allowed is 6MB").
public struct ResourceFlags: Sendable, Equatable {
    public var memory: String?
    public var memorySwap: String?
    public var memoryReservation: String?
    public var cpus: String?
    public var cpuShares: String?
    public var cpusetCpus: String?
    public var pidsLimit: String?

    public init(memory: String? = nil, memorySwap: String? = nil, memoryReservation: String? = nil, cpus: String? = nil,
                cpuShares: String? = nil, cpusetCpus: String? = nil, pidsLimit: String? = nil) {
        self.memory = memory
        self.memorySwap = memorySwap
        self.memoryReservation = memoryReservation
        self.cpus = cpus
        self.cpuShares = cpuShares
        self.cpusetCpus = cpusetCpus
        self.pidsLimit = pidsLimit
    }

    /// The daemon's smallest memory limit and reservation (moby `linuxMinMemory`).
    public static let minimumMemory: Int64 = 6 * 1024 * 1024

    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public let description: String
        init(_ text: String) { description = text }
    }

    /// The limits, checked as Docker checks them. `cpuCount`: the CPUs this process may use;
    /// `onlineCPUs`: the CPU list a cpuset may draw from ("0-1").
    /// `swapLimit`: the host can limit swap (cgroup swap accounting); without it a memory limit goes without a
    /// swap limit (`MemorySwap` -1) and `warn` gets Docker's warning.
    public func limits(cpuCount: Int = ResourceFlags.usableCPUCount(), onlineCPUs: String = ResourceFlags.onlineCPUs(),
                       swapLimit: Bool = ResourceFlags.hostHasSwapLimit(), warn: (String) -> Void = { _ in }) throws -> ResourceLimits {
        var limits = ResourceLimits()
        if let memory { limits.memory = try Self.flagSize(memory, flag: "-m, --memory") }
        if let memorySwap {
            limits.memorySwap = memorySwap == "-1" ? -1 : try Self.flagSize(memorySwap, flag: "--memory-swap")
        }
        if let memoryReservation { limits.memoryReservation = try Self.flagSize(memoryReservation, flag: "--memory-reservation") }
        if let cpus { limits.nanoCPUs = try Self.nanoCPUs(cpus) }
        if let cpuShares {
            guard let shares = Int64(cpuShares) else {
                throw Invalid("invalid argument \"\(cpuShares)\" for \"-c, --cpu-shares\" flag: strconv.ParseInt: parsing \"\(cpuShares)\": invalid syntax")
            }
            limits.cpuShares = shares
        }
        if let pidsLimit {
            guard let value = Int64(pidsLimit) else {
                throw Invalid("invalid argument \"\(pidsLimit)\" for \"--pids-limit\" flag: strconv.ParseInt: parsing \"\(pidsLimit)\": invalid syntax")
            }
            limits.pidsLimit = value > 0 ? value : nil
        }
        // The daemon's checks (moby verifyPlatformContainerResources), in its order.
        if limits.memory != 0, limits.memory < Self.minimumMemory {
            throw Invalid("Minimum memory limit allowed is 6MB")
        }
        if limits.memory > 0, limits.memorySwap > 0, limits.memorySwap < limits.memory {
            throw Invalid("Minimum memoryswap limit should be larger than memory limit, see usage")
        }
        if limits.memory == 0, limits.memorySwap > 0 {
            throw Invalid("You should always set the Memory limit when using Memoryswap limit, see usage")
        }
        if limits.memoryReservation > 0, limits.memoryReservation < Self.minimumMemory {
            throw Invalid("Minimum memory reservation allowed is 6MB")
        }
        if limits.memory > 0, limits.memoryReservation > 0, limits.memory < limits.memoryReservation {
            throw Invalid("Minimum memory limit can not be less than memory reservation limit, see usage")
        }
        if limits.nanoCPUs < 0 || limits.nanoCPUs > Int64(cpuCount) * 1_000_000_000 {
            throw Invalid("Range of CPUs is from 0.01 to \(cpuCount).00, as there are only \(cpuCount) CPUs available")
        }
        if let cpusetCpus, !cpusetCpus.isEmpty {
            guard let requested = Self.cpuList(cpusetCpus) else {
                throw Invalid("Invalid value \(cpusetCpus) for cpuset cpus")
            }
            let available = Self.cpuList(onlineCPUs) ?? []
            guard requested.isSubset(of: available) else {
                throw Invalid("Requested CPUs are not available - requested \(cpusetCpus), available: \(onlineCPUs)")
            }
            limits.cpusetCpus = cpusetCpus
        }
        if limits.memory > 0, !swapLimit {
            warn("WARNING: Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.")
            limits.memorySwap = -1
        }
        // The daemon's default (adaptContainerSettings): swap as large as the memory limit.
        if limits.memory > 0, limits.memorySwap == 0 { limits.memorySwap = limits.memory * 2 }
        return limits
    }

    /// go-units' `RAMInBytes`: a decimal number, an optional space, an optional unit letter (k, m, g, t, p;
    /// powers of 1024), an optional `i`, an optional `b`, any case.
    public static func ramInBytes(_ text: String) -> Int64? {
        guard let match = text.wholeMatch(of: /(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?/) else { return nil }
        guard let number = Double(match.1) else { return nil }
        let powers: [Character: Double] = ["k": 1, "m": 2, "g": 3, "t": 4, "p": 5]
        let power = match.2.flatMap { powers[Character($0.lowercased())] } ?? 0
        let bytes = number * pow(1024, power)
        guard bytes < 9.2e18 else { return nil }
        return Int64(bytes)
    }

    static func flagSize(_ text: String, flag: String) throws -> Int64 {
        guard let bytes = ramInBytes(text) else {
            throw Invalid("invalid argument \"\(text)\" for \"\(flag)\" flag: invalid size: '\(text)'")
        }
        return bytes
    }

    /// Docker's `--cpus`: a rational number of CPUs, exact to a billionth.
    static func nanoCPUs(_ text: String) throws -> Int64 {
        let prefix = "invalid argument \"\(text)\" for \"--cpus\" flag: "
        guard let match = text.wholeMatch(of: /([+-]?)(\d*)(?:\.(\d*))?/), !(match.2.isEmpty && (match.3 ?? "").isEmpty) else {
            throw Invalid(prefix + "failed to parse \(text) as a rational number")
        }
        var fraction = String(match.3 ?? "")
        while fraction.hasSuffix("0") { fraction.removeLast() }
        guard fraction.count <= 9 else { throw Invalid(prefix + "value is too precise") }
        guard let whole = Int64(match.2.isEmpty ? "0" : String(match.2)), whole < 9_000_000_000 else {
            throw Invalid(prefix + "failed to parse \(text) as a rational number")
        }
        let nanos = whole * 1_000_000_000 + (Int64(fraction.padding(toLength: 9, withPad: "0", startingAt: 0)) ?? 0)
        return match.1 == "-" ? -nanos : nanos
    }

    /// A CPU list ("0-2,4"), nil when malformed.
    public static func cpuList(_ text: String) -> Set<Int>? {
        var result = Set<Int>()
        for part in text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count), let low = Int(bounds[0]), low >= 0,
                  let high = bounds.count == 2 ? Int(bounds[1]) : low, high >= low else { return nil }
            result.formUnion(low...high)
        }
        return result
    }

    /// The CPUs this process may run on (Go's `runtime.NumCPU`: the affinity mask, /proc/self/status's
    /// `Cpus_allowed_list`).
    public static func usableCPUCount() -> Int {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }),
           let cpus = cpuList(String(line.dropFirst("Cpus_allowed_list:".count))), !cpus.isEmpty {
            return cpus.count
        }
        return ProcessInfo.processInfo.activeProcessorCount
    }

    /// Whether cgroups can limit swap here: cgroup v1's `memory.memsw.limit_in_bytes` (swap accounting on), or on
    /// cgroup v2 `memory.swap.max` in this process's cgroup (true when that cannot be told, e.g. in the root cgroup).
    public static func hostHasSwapLimit(cgroupRoot: String = "/sys/fs/cgroup") -> Bool {
        let files = FileManager.default
        if files.fileExists(atPath: cgroupRoot + "/memory/memory.limit_in_bytes") {
            return files.fileExists(atPath: cgroupRoot + "/memory/memory.memsw.limit_in_bytes")
        }
        guard let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8),
              let line = membership.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else { return true }
        let own = cgroupRoot + String(line.dropFirst(3))
        guard files.fileExists(atPath: own + "/memory.max") else { return true }
        return files.fileExists(atPath: own + "/memory.swap.max")
    }

    /// The CPUs a cpuset may name: the root cpuset's (cgroup v1), else the online CPUs.
    public static func onlineCPUs() -> String {
        for path in ["/sys/fs/cgroup/cpuset/cpuset.cpus", "/sys/fs/cgroup/cpuset.cpus.effective", "/sys/devices/system/cpu/online"] {
            if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
                if !trimmed.isEmpty { return trimmed }
            }
        }
        return "0-\(ProcessInfo.processInfo.activeProcessorCount - 1)"
    }
}

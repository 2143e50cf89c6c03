/// A container's cgroup resource limits, as Docker's HostConfig holds them (`docker run -m`, `--memory-swap`,
/// `--memory-reservation`, `--cpus`, `--cpu-shares`, `--cpuset-cpus`, `--pids-limit`), and their OCI
/// `linux.resources` form. Parsing Docker's flag spellings is `ResourceFlags`; where the container's
/// cgroup goes is `CgroupPlacement`.
public struct ResourceLimits: Codable, Sendable, Equatable {
    /// Bytes; 0: no limit (Docker's `Memory`).
    public var memory: Int64 = 0
    /// Memory plus swap in bytes, -1 unlimited, 0 unset (Docker's `MemorySwap`).
    public var memorySwap: Int64 = 0
    /// Soft limit in bytes, 0 unset (Docker's `MemoryReservation`).
    public var memoryReservation: Int64 = 0
    /// CPUs in billionths (Docker's `NanoCpus`; `--cpus 0.5` is 500000000), 0 unset.
    public var nanoCPUs: Int64 = 0
    /// Relative CPU weight (Docker's `CpuShares`), 0 unset.
    public var cpuShares: Int64 = 0
    /// CPUs the container may use, "0-2,4" (Docker's `CpusetCpus`), "" unset.
    public var cpusetCpus: String = ""
    /// Maximum number of processes; nil unset or unlimited (Docker keeps none for 0 and -1).
    public var pidsLimit: Int64? = nil

    public init(memory: Int64 = 0, memorySwap: Int64 = 0, memoryReservation: Int64 = 0, nanoCPUs: Int64 = 0,
                cpuShares: Int64 = 0, cpusetCpus: String = "", pidsLimit: Int64? = nil) {
        self.memory = memory
        self.memorySwap = memorySwap
        self.memoryReservation = memoryReservation
        self.nanoCPUs = nanoCPUs
        self.cpuShares = cpuShares
        self.cpusetCpus = cpusetCpus
        self.pidsLimit = pidsLimit
    }

    /// No limit at all: the container needs no cgroup of its own.
    public static let none = ResourceLimits()

    public var isEmpty: Bool { self == .none }

    /// The CFS period Docker uses for `--cpus` (microseconds).
    public static let cpuPeriod: Int64 = 100_000

    /// The cgroup controllers these limits need (cgroup v2 names).
    public var controllers: [String] {
        var list: [String] = []
        if !cpusetCpus.isEmpty { list.append("cpuset") }
        if nanoCPUs > 0 || cpuShares > 0 { list.append("cpu") }
        if memory > 0 || memorySwap != 0 || memoryReservation > 0 { list.append("memory") }
        if pidsLimit != nil { list.append("pids") }
        return list
    }

    /// The OCI `linux.resources` members besides `devices` (runtime-spec: memory, cpu, pids); empty when
    /// nothing is limited.
    public var ociResources: [String: Any] {
        var result: [String: Any] = [:]
        var memoryObject: [String: Any] = [:]
        if memory > 0 { memoryObject["limit"] = memory }
        // -1 (unlimited) is a fresh cgroup's default: left out, so a host without swap accounting (no
        // memory.memsw.* / memory.swap.max files) still takes the memory limit.
        if memorySwap > 0 { memoryObject["swap"] = memorySwap }
        if memoryReservation > 0 { memoryObject["reservation"] = memoryReservation }
        if !memoryObject.isEmpty { result["memory"] = memoryObject }
        var cpu: [String: Any] = [:]
        if nanoCPUs > 0 {
            cpu["period"] = Self.cpuPeriod
            cpu["quota"] = nanoCPUs * Self.cpuPeriod / 1_000_000_000
        }
        if cpuShares > 0 { cpu["shares"] = cpuShares }
        if !cpusetCpus.isEmpty { cpu["cpus"] = cpusetCpus }
        if !cpu.isEmpty { result["cpu"] = cpu }
        if let pidsLimit { result["pids"] = ["limit": pidsLimit] }
        return result
    }
}

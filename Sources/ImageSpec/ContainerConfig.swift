/// The execution defaults of an image: the `config` object inside an image config.
///
/// JSON keys are Docker's capitalised ones: `User`, `ExposedPorts`, `Env`, `Entrypoint`, `Cmd`,
/// `Volumes`, `WorkingDir`, `Labels`, `StopSignal`, `ArgsEscaped`, `Healthcheck`, `OnBuild`,
/// `Shell`. Encoding omits every field that is absent, empty or false, as Go's `omitempty` does
/// in the OCI and Docker config types; so `Cmd: []` and no `Cmd` encode alike. Decoding accepts
/// `null` for any field, reads an empty string as absent, a single string where Docker's `StrSlice` allows one (`Cmd`,
/// `Entrypoint`, `Shell`), and keeps unknown keys (Docker's legacy `Hostname`, `Tty`, `Image`, …)
/// in ``extraFields``, which encoding writes back.
public struct ContainerConfig: Sendable, Hashable, Codable {
    public var user: String?
    /// Ports as `port/proto`, e.g. `80/tcp`; JSON has them as keys of an object of empty objects.
    public var exposedPorts: Set<String>
    /// `NAME=value` entries in order.
    public var env: [String]
    public var entrypoint: [String]?
    public var cmd: [String]?
    /// Paths; JSON has them as keys of an object of empty objects.
    public var volumes: Set<String>
    public var workingDir: String?
    public var labels: [String: String]
    public var stopSignal: String?
    /// Windows-only flag that Docker also writes on Linux for shell-form commands.
    public var argsEscaped: Bool
    public var healthcheck: Healthcheck?
    /// Instructions to run in builds that use this image as base.
    public var onBuild: [String]
    public var shell: [String]?
    /// Keys this type does not model, carried through unchanged.
    public var extraFields: [String: JSONValue]

    public init(
        user: String? = nil, exposedPorts: Set<String> = [], env: [String] = [], entrypoint: [String]? = nil,
        cmd: [String]? = nil, volumes: Set<String> = [], workingDir: String? = nil, labels: [String: String] = [:],
        stopSignal: String? = nil, argsEscaped: Bool = false, healthcheck: Healthcheck? = nil, onBuild: [String] = [],
        shell: [String]? = nil, extraFields: [String: JSONValue] = [:]
    ) {
        self.user = user
        self.exposedPorts = exposedPorts
        self.env = env
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.volumes = volumes
        self.workingDir = workingDir
        self.labels = labels
        self.stopSignal = stopSignal
        self.argsEscaped = argsEscaped
        self.healthcheck = healthcheck
        self.onBuild = onBuild
        self.shell = shell
        self.extraFields = extraFields
    }

    private enum Key: String, CaseIterable {
        case user = "User", exposedPorts = "ExposedPorts", env = "Env", entrypoint = "Entrypoint", cmd = "Cmd"
        case volumes = "Volumes", workingDir = "WorkingDir", labels = "Labels", stopSignal = "StopSignal"
        case argsEscaped = "ArgsEscaped", healthcheck = "Healthcheck", onBuild = "OnBuild", shell = "Shell"
        var key: AnyCodingKey { AnyCodingKey(rawValue) }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        func strings(_ key: Key) throws -> [String]? {
            try container.decodeIfPresent(StringList.self, forKey: key.key)?.values
        }
        func keySet(_ key: Key) throws -> Set<String> {
            Set(try container.decodeIfPresent([String: JSONValue].self, forKey: key.key)?.keys ?? [:].keys)
        }
        func text(_ key: Key) throws -> String? {
            try container.decodeIfPresent(String.self, forKey: key.key).flatMap { $0.isEmpty ? nil : $0 }
        }
        user = try text(.user)
        exposedPorts = try keySet(.exposedPorts)
        env = try strings(.env) ?? []
        entrypoint = try strings(.entrypoint)
        cmd = try strings(.cmd)
        volumes = try keySet(.volumes)
        workingDir = try text(.workingDir)
        labels = try container.decodeIfPresent([String: String].self, forKey: Key.labels.key) ?? [:]
        stopSignal = try text(.stopSignal)
        argsEscaped = try container.decodeIfPresent(Bool.self, forKey: Key.argsEscaped.key) ?? false
        healthcheck = try container.decodeIfPresent(Healthcheck.self, forKey: Key.healthcheck.key)
        onBuild = try strings(.onBuild) ?? []
        shell = try strings(.shell)
        extraFields = try container.unknownFields(excluding: Set(Key.allCases.map(\.rawValue)))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: AnyCodingKey.self)
        let known = Set(Key.allCases.map(\.rawValue))
        for (name, value) in extraFields where !known.contains(name) {
            try container.encode(value, forKey: AnyCodingKey(name))
        }
        func put(_ value: String?, _ key: Key) throws {
            if let value, !value.isEmpty { try container.encode(value, forKey: key.key) }
        }
        func put(_ value: [String]?, _ key: Key) throws {
            if let value, !value.isEmpty { try container.encode(value, forKey: key.key) }
        }
        func put(_ value: Set<String>, _ key: Key) throws {
            guard !value.isEmpty else { return }
            let object = Dictionary(uniqueKeysWithValues: value.map { ($0, JSONValue.object([:])) })
            try container.encode(object, forKey: key.key)
        }
        try put(user, .user)
        try put(exposedPorts, .exposedPorts)
        try put(env, .env)
        try put(entrypoint, .entrypoint)
        try put(cmd, .cmd)
        try put(volumes, .volumes)
        try put(workingDir, .workingDir)
        if !labels.isEmpty { try container.encode(labels, forKey: Key.labels.key) }
        try put(stopSignal, .stopSignal)
        if argsEscaped { try container.encode(true, forKey: Key.argsEscaped.key) }
        try container.encodeIfPresent(healthcheck, forKey: Key.healthcheck.key)
        try put(onBuild, .onBuild)
        try put(shell, .shell)
    }
}

/// Docker's `HEALTHCHECK` settings (the config's `Healthcheck`).
///
/// JSON keys: `Test`, `Interval`, `Timeout`, `StartPeriod`, `StartInterval`, `Retries`. Durations
/// are integer nanoseconds, as Go's `time.Duration` encodes; zero durations, zero retries and an
/// empty test are omitted (zero means "use the default").
public struct Healthcheck: Sendable, Hashable, Codable {
    /// `["NONE"]` disables a base image's check; `["CMD", args…]` or `["CMD-SHELL", command]` runs one.
    public var test: [String]
    public var interval: Duration
    public var timeout: Duration
    public var startPeriod: Duration
    public var startInterval: Duration
    public var retries: Int

    public init(test: [String], interval: Duration = .zero, timeout: Duration = .zero, startPeriod: Duration = .zero, startInterval: Duration = .zero, retries: Int = 0) {
        self.test = test
        self.interval = interval
        self.timeout = timeout
        self.startPeriod = startPeriod
        self.startInterval = startInterval
        self.retries = retries
    }

    private enum CodingKeys: String, CodingKey {
        case test = "Test", interval = "Interval", timeout = "Timeout", startPeriod = "StartPeriod"
        case startInterval = "StartInterval", retries = "Retries"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func duration(_ key: CodingKeys) throws -> Duration {
            .nanoseconds(try container.decodeIfPresent(Int64.self, forKey: key) ?? 0)
        }
        test = try container.decodeIfPresent([String].self, forKey: .test) ?? []
        interval = try duration(.interval)
        timeout = try duration(.timeout)
        startPeriod = try duration(.startPeriod)
        startInterval = try duration(.startInterval)
        retries = try container.decodeIfPresent(Int.self, forKey: .retries) ?? 0
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        func put(_ value: Duration, _ key: CodingKeys) throws {
            let nanoseconds = Self.nanoseconds(value)
            if nanoseconds != 0 { try container.encode(nanoseconds, forKey: key) }
        }
        if !test.isEmpty { try container.encode(test, forKey: .test) }
        try put(interval, .interval)
        try put(timeout, .timeout)
        try put(startPeriod, .startPeriod)
        try put(startInterval, .startInterval)
        if retries != 0 { try container.encode(retries, forKey: .retries) }
    }

    /// A duration in whole nanoseconds, clamped to `Int64`'s range.
    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow2 { return seconds < 0 ? .min : .max }
        return total
    }
}

/// Docker's `StrSlice`: a JSON array of strings, or a single string meaning a one-element array.
private struct StringList: Decodable {
    var values: [String]

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let single = try? container.decode(String.self) {
            values = [single]
        } else {
            values = try container.decode([String].self)
        }
    }
}

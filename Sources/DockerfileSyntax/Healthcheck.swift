/// The image-config health check an instruction sets (OCI/Docker `HealthcheckConfig`).
public struct HealthConfig: Sendable, Hashable {
    /// `["NONE"]`, `["CMD", args...]` (exec form) or `["CMD-SHELL", command]` (shell form).
    public var test: [String]
    /// Durations in nanoseconds; 0 means "inherit / default".
    public var interval: Int64 = 0
    public var timeout: Int64 = 0
    public var startPeriod: Int64 = 0
    public var startInterval: Int64 = 0
    /// 0 means "inherit / default".
    public var retries: Int = 0

    public init(test: [String]) {
        self.test = test
    }
}

/// `HEALTHCHECK NONE` or `HEALTHCHECK [--interval=] [--timeout=] [--start-period=]
/// [--start-interval=] [--retries=] CMD <command>`. Flags on `NONE` are ignored, as in BuildKit.
public struct HealthcheckInstruction: Sendable, Hashable {
    public var node: Node
    public var health: HealthConfig

    static let acceptedFlags: [String: FlagKind] = [
        "interval": .string, "timeout": .string, "start-period": .string, "start-interval": .string,
        "retries": .string,
    ]

    init(_ node: Node) throws(DockerfileError) {
        guard let first = node.args.first else { throw InstructionErrors.atLeastOneArgument(node) }
        self.node = node
        let type = first.uppercased()
        let rest = Array(node.args.dropFirst())
        if type == "NONE" {
            guard rest.isEmpty else { throw DockerfileError("HEALTHCHECK NONE takes no arguments", range: node.range) }
            health = HealthConfig(test: ["NONE"])
            return
        }
        let flags = try FlagParser.parse(node, accepting: HealthcheckInstruction.acceptedFlags)
        guard type == "CMD" else {
            throw DockerfileError("Unknown type \(GoQuote.quote(type)) in HEALTHCHECK (try CMD)", range: node.range)
        }
        let command = ShellCommandLine.handleJSONArgs(rest, isJSON: node.isJSON)
        guard !command.isEmpty else { throw DockerfileError("Missing command after HEALTHCHECK CMD", range: node.range) }
        health = HealthConfig(test: [node.isJSON ? "CMD" : "CMD-SHELL"] + command)
        health.interval = try Self.interval(flags, "interval", node)
        health.timeout = try Self.interval(flags, "timeout", node)
        health.startPeriod = try Self.interval(flags, "start-period", node)
        health.startInterval = try Self.interval(flags, "start-interval", node)
        health.retries = try Self.retries(flags, node)
    }

    /// An optional duration flag: empty or `0` is 0; otherwise at least 1ms.
    private static func interval(_ flags: ParsedFlags, _ name: String, _ node: Node) throws(DockerfileError) -> Int64 {
        guard let text = flags.string(name), !text.isEmpty else { return 0 }
        let at = FlagLocator.range(of: "--" + name, in: node)
        let duration: Int64
        do throws(DockerfileError) {
            duration = try GoDuration.parse(text)
        } catch {
            throw error.located(at: at)
        }
        if duration == 0 { return 0 }
        guard duration >= 1_000_000 else {
            throw DockerfileError("Interval \(GoQuote.quote(name)) cannot be less than 1ms", range: at)
        }
        return duration
    }

    /// `--retries`: a base-10 int32, not negative.
    private static func retries(_ flags: ParsedFlags, _ node: Node) throws(DockerfileError) -> Int {
        guard let text = flags.string("retries"), !text.isEmpty else { return 0 }
        let at = FlagLocator.range(of: "--retries", in: node)
        switch GoSyntax.parseInt(text, bits: 32) {
        case .failure(let error):
            throw error.located(at: at)
        case .success(let value):
            guard value >= 0 else { throw DockerfileError("--retries cannot be negative (\(value))", range: at) }
            return Int(value)
        }
    }
}

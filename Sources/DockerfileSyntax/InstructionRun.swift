/// `RUN --network` values.
public enum NetworkMode: String, Sendable, Hashable, CaseIterable {
    case `default`, none, host
}

/// `RUN --security` values.
public enum SecurityMode: String, Sendable, Hashable, CaseIterable {
    case sandbox, insecure
}

/// `RUN [--mount=...]... [--network=...] [--security=...] [--device=...] <command>`.
///
/// Mount option values are expanded with ARG/ENV at dispatch time, so this keeps the raw
/// `--mount` values in `mountSpecs`, validated the way BuildKit validates them at parse time (CSV
/// syntax, no variable in `from`). `mounts(expandingWith:)` gives the typed, fully validated
/// mounts once an expander is available; `literalMounts` does that for specs without `$`.
public struct RunInstruction: Sendable, Hashable {
    public var node: Node
    public var command: ShellCommandLine
    /// The raw `--mount` values in order.
    public var mountSpecs: [String]
    public var network: NetworkMode
    public var security: SecurityMode
    /// `--device` requests (a labs feature: see `RunInstruction.deviceUnsupportedMessage`).
    public var devices: [DeviceRequest]
    /// Names of the flags used, in order of first use (BuildKit's `FlagsUsed`).
    public var flagsUsed: [String]

    /// The error the mainline (non-labs) frontend gives at dispatch for `RUN --device`.
    public static let deviceUnsupportedMessage =
        "device feature is only supported in Dockerfile frontend 1.14.0-labs or later"

    static let acceptedFlags: [String: FlagKind] = [
        "mount": .strings, "network": .string, "security": .string, "device": .strings,
    ]

    init(_ node: Node) throws(DockerfileError) {
        let flags = try FlagParser.parse(node, accepting: RunInstruction.acceptedFlags)
        self.node = node
        self.flagsUsed = flags.used
        self.command = ShellCommandLine(node)
        self.mountSpecs = flags.strings("mount")
        for spec in mountSpecs {
            do throws(DockerfileError) {
                _ = try Mount.parse(spec, expander: nil)
            } catch {
                throw error.located(at: FlagLocator.range(of: "--mount", in: node))
            }
        }
        let networkValue = flags.string("network") ?? "default"
        guard let network = NetworkMode(rawValue: networkValue) else {
            throw DockerfileError("invalid network mode \(GoQuote.quote(networkValue))",
                                  range: FlagLocator.range(of: "--network", in: node))
        }
        self.network = network
        let securityValue = flags.string("security") ?? "sandbox"
        guard let security = SecurityMode(rawValue: securityValue) else {
            throw DockerfileError("security \(GoQuote.quote(securityValue)) is not valid",
                                  range: FlagLocator.range(of: "--security", in: node))
        }
        self.security = security
        var devices: [DeviceRequest] = []
        for value in flags.strings("device") {
            do throws(DockerfileError) {
                devices.append(try DeviceRequest.parse(value))
            } catch {
                throw error.located(at: FlagLocator.range(of: "--device", in: node))
            }
        }
        self.devices = devices
    }

    /// The typed mounts, each option value passed through `expand` first (the builder's ARG/ENV
    /// expansion), validated as BuildKit does at dispatch time.
    public func mounts(expandingWith expand: @escaping MountExpander) throws(DockerfileError) -> [Mount] {
        var mounts: [Mount] = []
        for spec in mountSpecs {
            do throws(DockerfileError) {
                mounts.append(try Mount.parse(spec, expander: expand))
            } catch {
                throw error.located(at: FlagLocator.range(of: "--mount", in: node))
            }
        }
        return mounts
    }

    /// The typed mounts when no spec mentions a variable (`$`); nil otherwise, or when a spec is
    /// invalid (the error then surfaces from `mounts(expandingWith:)`).
    public var literalMounts: [Mount]? {
        guard !mountSpecs.contains(where: { $0.contains("$") }) else { return nil }
        return try? mounts(expandingWith: { $0 })
    }
}

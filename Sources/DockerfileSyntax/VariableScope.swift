import ShellWords

/// The build arguments a user passed (`--build-arg NAME=VALUE`, or `--build-arg NAME` taking the
/// value from the caller's environment, resolved before this point).
public typealias BuildArgs = [String: String]

/// ARGs that need no declaration: passed to RUN when given as build args, but kept out of the
/// image history and cache key unless a stage declares them with `ARG`.
public let proxyArgNames: Set<String> = {
    let names = ["HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY"]
    return Set(names + names.map { $0.lowercased() })
}()

/// The automatic platform ARGs (`BUILDPLATFORM`, `TARGETARCH`, …) for a build and target platform,
/// plus `TARGETSTAGE`. Values follow BuildKit: `TARGETPLATFORM=linux/arm/v7`, `TARGETVARIANT=v7`,
/// an empty variant when the platform has none.
public struct PlatformArgs: Sendable, Hashable {
    var buildOS: String, buildArch: String, buildVariant: String
    var targetOS: String, targetArch: String, targetVariant: String
    public var targetStage: String

    /// `target`/`build` are `os/arch[/variant]` strings; a missing part defaults to the host's.
    public init(target: String? = nil, build: String? = nil, targetStage: String? = nil) {
        let host = PlatformArgs.split(PlatformArgs.hostPlatform)
        let b = build.map(PlatformArgs.split) ?? host
        let t = target.map(PlatformArgs.split) ?? b
        (buildOS, buildArch, buildVariant) = b
        (targetOS, targetArch, targetVariant) = t
        self.targetStage = targetStage ?? "default"
    }

    /// The host as `os/arch`, in Go's architecture names.
    public static var hostPlatform: String {
        #if arch(arm64)
        return "linux/arm64"
        #elseif arch(arm)
        return "linux/arm/v7"
        #else
        return "linux/amd64"
        #endif
    }

    static func split(_ platform: String) -> (String, String, String) {
        let parts = platform.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let os = parts.first.flatMap { $0.isEmpty ? nil : $0.lowercased() } ?? "linux"
        let arch = parts.count > 1 && !parts[1].isEmpty ? parts[1].lowercased() : "amd64"
        let variant = parts.count > 2 ? parts[2].lowercased() : ""
        return (os, arch, variant)
    }

    private static func join(_ os: String, _ arch: String, _ variant: String) -> String {
        variant.isEmpty ? "\(os)/\(arch)" : "\(os)/\(arch)/\(variant)"
    }

    /// Name → value, in a stable order.
    public var values: [(String, String)] {
        [
            ("BUILDPLATFORM", PlatformArgs.join(buildOS, buildArch, buildVariant)),
            ("BUILDOS", buildOS), ("BUILDARCH", buildArch), ("BUILDVARIANT", buildVariant),
            ("TARGETPLATFORM", PlatformArgs.join(targetOS, targetArch, targetVariant)),
            ("TARGETOS", targetOS), ("TARGETARCH", targetArch), ("TARGETVARIANT", targetVariant),
            ("TARGETSTAGE", targetStage),
        ]
    }
}

/// The global scope: ARGs declared before the first FROM, plus the automatic platform ARGs.
/// Visible in FROM lines only; a stage sees a global ARG only after re-declaring it (`ARG NAME`).
public struct GlobalScope: Sendable {
    public let buildArgs: BuildArgs
    /// Every global name with a value (declared meta ARGs and automatic ARGs), for FROM expansion.
    public private(set) var environment: ShellEnvironment
    /// Names of the meta ARGs declared in the Dockerfile, in order.
    public private(set) var declared: [String] = []
    public let lexer: ShellLexer

    public init(buildArgs: BuildArgs = [:], platform: PlatformArgs = PlatformArgs(), escapeToken: Character = "\\") {
        self.buildArgs = buildArgs
        self.lexer = ShellLexer(escapeToken: escapeToken)
        var env = ShellEnvironment()
        for (name, value) in platform.values { env[name] = buildArgs[name] ?? value }
        self.environment = env
    }

    /// Applies one meta `ARG` line. All defaults of the line are expanded with the scope as it was
    /// before the line. Throws the expansion error of a default.
    public mutating func declare(_ args: [ArgDeclaration]) throws(ExpansionError) {
        let before = environment
        for arg in args {
            declared.append(arg.key)
            if let value = buildArgs[arg.key] {
                environment[arg.key] = value
            } else if let raw = arg.value {
                environment[arg.key] = try lexer.processWord(raw, env: before)
            }
        }
    }

    /// The value a stage's `ARG NAME` (without default) imports, if the global scope has one.
    public func value(of name: String) -> String? { environment[name] }
}

/// The variables of one stage as instructions are applied in order: ARG values (visible to RUN and
/// expansion, never written to the image config) and ENV values (persisted, and overriding an ARG
/// of the same name from that point on).
public struct StageScope: Sendable {
    public let global: GlobalScope
    /// ENV in order, starting with the base image's (or base stage's) environment.
    public private(set) var env: [(name: String, value: String)]
    /// ARGs declared in this stage (or inherited from a base stage), in order; nil = declared, unset.
    public private(set) var args: [(name: String, value: String?)]

    public init(global: GlobalScope, baseEnv: [(name: String, value: String)] = [], baseArgs: [(name: String, value: String?)] = []) {
        self.global = global
        self.env = baseEnv
        self.args = baseArgs
    }

    /// The variables `$NAME` sees in this stage: declared ARGs with a value, overridden by ENV.
    public var environment: ShellEnvironment {
        var result = ShellEnvironment()
        for arg in args { if let value = arg.value { result[arg.name] = value } }
        for e in env { result[e.name] = e.value }
        return result
    }

    /// Whether `name` is defined for expansion (an ENV, or an ARG declared in scope, set or not).
    public func isDeclared(_ name: String) -> Bool {
        env.contains { $0.name == name } || args.contains { $0.name == name }
    }

    /// Expands a word with this stage's variables.
    public func expand(_ word: String) throws(ExpansionError) -> String {
        try global.lexer.processWord(word, env: environment)
    }

    /// Applies an `ARG` line: build arg first, then the default expanded with the scope before
    /// the line, then (no default) the global value; otherwise declared but unset.
    public mutating func declare(_ declarations: [ArgDeclaration]) throws(ExpansionError) {
        let before = environment
        for arg in declarations {
            let value: String?
            if let fromBuild = global.buildArgs[arg.key] {
                value = fromBuild
            } else if let raw = arg.value {
                value = try global.lexer.processWord(raw, env: before)
            } else {
                value = global.value(of: arg.key)
            }
            args.removeAll { $0.name == arg.key }
            args.append((arg.key, value))
        }
    }

    /// Applies an `ENV` line of raw `(key, value)` pairs: keys and values are expanded with the
    /// scope before the line; a later key of the same name wins.
    public mutating func setEnv(_ pairs: [(key: String, value: String)]) throws(ExpansionError) {
        let before = environment
        for pair in pairs {
            let name = try global.lexer.processWord(pair.key, env: before)
            let value = try global.lexer.processWord(pair.value, env: before)
            if let index = env.firstIndex(where: { $0.name == name }) {
                env[index].value = value
            } else {
                env.append((name, value))
            }
        }
    }

    /// The environment of a RUN step: ENV, plus ARG values not overridden by ENV, plus the proxy
    /// build args (undeclared ones too). `NAME=value` strings in a stable order.
    public var runEnvironment: [String] {
        var seen = Set(env.map(\.name))
        var result = env.map { "\($0.name)=\($0.value)" }
        for arg in args where !seen.contains(arg.name) {
            if let value = arg.value { result.append("\(arg.name)=\(value)"); seen.insert(arg.name) }
        }
        for name in global.buildArgs.keys.sorted() where proxyArgNames.contains(name) && !seen.contains(name) {
            result.append("\(name)=\(global.buildArgs[name]!)")
        }
        return result
    }
}

/// The platform an image runs on: operating system, CPU architecture and optional details,
/// as in an OCI descriptor's `platform` and an image config's top-level fields.
///
/// Contract: `os`, `architecture` and `variant` are non-empty and made of `A-Za-z0-9_.-` only.
/// `os.version` and `os.features` are free-form. A platform decoded from JSON is kept exactly as
/// written; ``Platform/init(parsing:)`` and ``normalized()`` produce the canonical form used for
/// comparison (see ``normalized()``). JSON keys are the OCI ones: `architecture`, `os`,
/// `os.version`, `os.features`, `variant`; absent optional fields are omitted.
public struct Platform: Sendable, Hashable, Codable, CustomStringConvertible {
    public let os: String
    public let architecture: String
    public let variant: String?
    public let osVersion: String?
    public let osFeatures: [String]?

    /// Validates the parts as they are, without normalising. Throws ``ImageSpecError`` (`invalidPlatform`).
    public init(os: String, architecture: String, variant: String? = nil, osVersion: String? = nil, osFeatures: [String]? = nil) throws {
        try Self.check(os, "operating system")
        try Self.check(architecture, "architecture")
        if let variant { try Self.check(variant, "variant") }
        self.os = os
        self.architecture = architecture
        self.variant = variant
        self.osVersion = osVersion
        self.osFeatures = osFeatures
    }

    /// Parses a user's platform specifier, `os/arch[/variant]`, `os` alone (the host's architecture)
    /// or a known architecture alone (the host's OS), as `docker build --platform` takes it.
    /// Case-insensitive; the result is ``normalized()``. Throws ``ImageSpecError`` (`invalidPlatform`).
    public init(parsing specifier: String) throws {
        let parts = specifier.lowercased().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !specifier.isEmpty, parts.count <= 3, parts.allSatisfy(Self.isValidPart) else {
            throw ImageSpecError(.invalidPlatform, "invalid platform \(ImageSpecError.quote(specifier)): expected os/arch[/variant], e.g. linux/amd64")
        }
        let host = Platform.host
        let platform: Platform
        switch parts.count {
        case 1:
            if Self.knownOperatingSystems.contains(Self.normalizedOS(parts[0])) {
                platform = try Platform(os: parts[0], architecture: host.architecture, variant: host.variant)
            } else if Self.knownArchitectures.contains(Self.normalizedArchitecture(parts[0], variant: nil).architecture) {
                platform = try Platform(os: host.os, architecture: parts[0])
            } else {
                throw ImageSpecError(.invalidPlatform, "invalid platform \(ImageSpecError.quote(specifier)): unknown operating system or architecture")
            }
        case 2:
            platform = try Platform(os: parts[0], architecture: parts[1])
        default:
            platform = try Platform(os: parts[0], architecture: parts[1], variant: parts[2])
        }
        self = platform.normalized()
    }

    /// `os/architecture[/variant]`, e.g. `linux/arm64/v8`. `os.version` and features are not shown.
    public var description: String {
        [os, architecture, variant].compactMap { $0 }.joined(separator: "/")
    }

    // MARK: - Codable

    private enum CodingKeys: String, CodingKey {
        case architecture
        case os
        case osVersion = "os.version"
        case osFeatures = "os.features"
        case variant
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let os = try container.decode(String.self, forKey: .os)
        let architecture = try container.decode(String.self, forKey: .architecture)
        let variant = try container.decodeIfPresent(String.self, forKey: .variant).flatMap { $0.isEmpty ? nil : $0 }
        let osVersion = try container.decodeIfPresent(String.self, forKey: .osVersion).flatMap { $0.isEmpty ? nil : $0 }
        let osFeatures = try container.decodeIfPresent([String].self, forKey: .osFeatures)
        self = try ImageSpecError.locating(decoder) {
            try Platform(os: os, architecture: architecture, variant: variant, osVersion: osVersion, osFeatures: osFeatures)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(architecture, forKey: .architecture)
        try container.encode(os, forKey: .os)
        try container.encodeIfPresent(osVersion, forKey: .osVersion)
        if let osFeatures, !osFeatures.isEmpty { try container.encode(osFeatures, forKey: .osFeatures) }
        try container.encodeIfPresent(variant, forKey: .variant)
    }

    // MARK: - Validation

    private static func isValidPart(_ part: String) -> Bool {
        !part.isEmpty && part.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x5F || byte == 0x2E || byte == 0x2D
        }
    }

    private static func check(_ part: String, _ what: String) throws {
        guard isValidPart(part) else {
            throw ImageSpecError(.invalidPlatform, "invalid platform \(what) \(ImageSpecError.quote(part)): must be non-empty letters, digits, '_', '.' or '-'")
        }
    }
}

// MARK: - Normalisation and the host

extension Platform {
    /// The canonical spelling used to compare platforms, following containerd's aliases:
    /// lowercase; `macos` → `darwin`; `x86_64`/`x86-64` → `amd64` (variant `v1` dropped);
    /// `i386` → `386`; `aarch64` → `arm64`; `armhf` → `arm/v7`; `armel` → `arm/v6`.
    /// Unlike containerd, defaults are made explicit on both ARM architectures so that
    /// `linux/arm64` equals `linux/arm64/v8` and `linux/arm` equals `linux/arm/v7`:
    /// arm64's variant `8`, `v8.0` or none becomes `v8`; arm's none or `7` becomes `v7`.
    /// `os.version` and `os.features` are kept.
    public func normalized() -> Platform {
        let (architecture, variant) = Self.normalizedArchitecture(architecture, variant: variant)
        return Platform(unchecked: Self.normalizedOS(os), architecture: architecture, variant: variant, osVersion: osVersion, osFeatures: osFeatures)
    }

    /// The platform this process runs on (Linux, the architecture it was compiled for), normalised.
    public static var host: Platform {
        #if arch(x86_64)
        let architecture = "amd64", variant: String? = nil
        #elseif arch(arm64)
        let architecture = "arm64", variant: String? = "v8"
        #elseif arch(arm)
        let architecture = "arm", variant: String? = "v7"
        #elseif arch(i386)
        let architecture = "386", variant: String? = nil
        #elseif arch(powerpc64le)
        let architecture = "ppc64le", variant: String? = nil
        #elseif arch(s390x)
        let architecture = "s390x", variant: String? = nil
        #elseif arch(riscv64)
        let architecture = "riscv64", variant: String? = nil
        #else
        let architecture = "unknown", variant: String? = nil
        #endif
        #if os(Linux)
        let os = "linux"
        #elseif os(macOS)
        let os = "darwin"
        #elseif os(Windows)
        let os = "windows"
        #else
        let os = "unknown"
        #endif
        return Platform(unchecked: os, architecture: architecture, variant: variant, osVersion: nil, osFeatures: nil)
    }

    /// For values built from already valid parts.
    init(unchecked os: String, architecture: String, variant: String?, osVersion: String?, osFeatures: [String]?) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
        self.osVersion = osVersion
        self.osFeatures = osFeatures
    }

    static func normalizedOS(_ os: String) -> String {
        let os = os.lowercased()
        return os == "macos" ? "darwin" : os
    }

    static func normalizedArchitecture(_ architecture: String, variant: String?) -> (architecture: String, variant: String?) {
        let architecture = architecture.lowercased()
        let variant = variant?.lowercased()
        switch architecture {
        case "i386", "386":
            return ("386", architecture == "i386" ? nil : variant)
        case "x86_64", "x86-64", "amd64":
            return ("amd64", variant == "v1" ? nil : variant)
        case "aarch64", "arm64":
            switch variant {
            case nil, "8", "v8", "v8.0": return ("arm64", "v8")
            case "9", "9.0", "v9.0": return ("arm64", "v9")
            default: return ("arm64", variant)
            }
        case "armhf":
            return ("arm", "v7")
        case "armel":
            return ("arm", "v6")
        case "arm":
            switch variant {
            case nil, "7": return ("arm", "v7")
            case let short? where short == "5" || short == "6" || short == "8": return ("arm", "v" + short)
            default: return ("arm", variant)
            }
        default:
            return (architecture, variant)
        }
    }

    /// Go's list of operating systems, as containerd accepts them alone in a specifier.
    static let knownOperatingSystems: Set<String> = [
        "aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js", "linux", "nacl",
        "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos",
    ]

    /// Go's list of architectures, as containerd accepts them alone in a specifier.
    static let knownArchitectures: Set<String> = [
        "386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "ppc64", "ppc64le", "loong64", "mips",
        "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "riscv", "riscv64", "s390", "s390x",
        "sparc", "sparc64", "wasm",
    ]
}

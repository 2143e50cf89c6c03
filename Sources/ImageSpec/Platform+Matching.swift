/// Choosing among platforms: which images a requested platform can run, and which is best.
///
/// The fallbacks follow containerd's default matcher: `amd64/vN` also runs `amd64/vN-1`…`amd64`
/// and then `386`; `arm/vN` also runs `arm/vN-1`… down to `arm/v5`; `arm64` also runs 32-bit
/// `arm/v8`…`arm/v5`. Comparison is on normalised `os`, `architecture` and `variant`;
/// `os.version` and `os.features` are not compared (they matter for Windows only). Unknown
/// variants (`amd64/v9`, `arm/v12`) match only themselves.
extension Platform {
    /// The platforms an image may be built for to run here, best first, all normalised.
    public var compatiblePlatforms: [Platform] {
        let wanted = normalized()
        var result = [wanted]
        func add(_ architecture: String, _ variant: String?) {
            result.append(Platform(unchecked: wanted.os, architecture: architecture, variant: variant, osVersion: wanted.osVersion, osFeatures: wanted.osFeatures))
        }
        switch wanted.architecture {
        case "amd64":
            if let level = Self.variantNumber(wanted.variant), (2...Self.highestAMD64Level).contains(level) {
                for lower in stride(from: level - 1, through: 2, by: -1) { add("amd64", "v\(lower)") }
                add("amd64", nil)
            }
            add("386", nil)
        case "arm":
            if let level = Self.variantNumber(wanted.variant), (6...Self.highestARMLevel).contains(level) {
                for lower in stride(from: level - 1, through: 5, by: -1) { add("arm", "v\(lower)") }
            }
        case "arm64":
            if wanted.variant != "v8" { add("arm64", "v8") }
            for lower in stride(from: 8, through: 5, by: -1) { add("arm", "v\(lower)") }
        default:
            break
        }
        return result
    }

    /// How well an image for `candidate` suits this platform: `0` is an exact match, larger is a
    /// worse fallback, `nil` means it cannot run here.
    public func preference(for candidate: Platform) -> Int? {
        let other = candidate.normalized()
        return compatiblePlatforms.firstIndex { $0.os == other.os && $0.architecture == other.architecture && $0.variant == other.variant }
    }

    /// Whether an image built for `candidate` can run on this platform (exactly or by fallback).
    public func canRun(_ candidate: Platform) -> Bool {
        preference(for: candidate) != nil
    }

    /// The best of `descriptors` for this platform: the one whose `platform` has the lowest
    /// ``preference(for:)``, the first in order among equals. Descriptors without a platform
    /// (and attestation entries such as `unknown/unknown`) never match.
    public func bestMatch(in descriptors: [Descriptor]) -> Descriptor? {
        var best: (descriptor: Descriptor, rank: Int)?
        for descriptor in descriptors {
            guard let platform = descriptor.platform, let rank = preference(for: platform) else { continue }
            if let current = best, current.rank <= rank { continue }
            best = (descriptor, rank)
        }
        return best?.descriptor
    }

    /// Microarchitecture levels that exist (x86-64-v4, ARMv8); higher variants get no fallbacks.
    private static let highestAMD64Level = 4
    private static let highestARMLevel = 8

    private static func variantNumber(_ variant: String?) -> Int? {
        guard let variant, variant.hasPrefix("v") else { return nil }
        return Int(variant.dropFirst())
    }
}

import Foundation

/// Bounds kiln puts on images it did not make (pulled, loaded, imported), so a hostile or broken
/// image is refused with a clear error instead of exhausting memory, disk or time.
public enum ImageLimits {
    /// Largest manifest or index accepted: 4 MiB, the cap the distribution spec suggests and
    /// containerd applies.
    public static let maxManifestSize = 4 << 20
    /// Largest image config accepted: 4 MiB as for manifests (configs are read whole by `images`,
    /// `inspect`, `run`; real ones are a few KiB, a long history some hundred KiB).
    public static let maxConfigSize = 4 << 20
    /// Most layers an image may have: Docker's layer store refuses chains deeper than 125
    /// ("max depth exceeded"), leaving room under overlayfs's lower-directory limit.
    public static let maxLayers = 125

    /// Largest uncompressed layer unpacked or verified, from `KILN_MAX_LAYER_SIZE` (bytes, or
    /// with a K/M/G/T suffix, powers of 1024); nil (no limit, as Docker) when unset or invalid.
    public static func maxLayerSize(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int64? {
        guard let text = environment["KILN_MAX_LAYER_SIZE"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var digits = Substring(text.uppercased())
        var scale: Int64 = 1
        if digits.hasSuffix("B") { digits = digits.dropLast() }
        if let last = digits.last, let unit = units[last] {
            scale = unit
            digits = digits.dropLast()
        }
        guard let value = Int64(digits), value > 0 else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: scale)
        return overflow ? Int64.max : product
    }

    /// The error text for a layer that grew past ``maxLayerSize(environment:)``.
    public static func layerTooLarge(_ what: String, limit: Int64) -> String {
        "\(what) unpacks to more than \(limit) bytes, the limit KILN_MAX_LAYER_SIZE sets; refusing it (a compression bomb?)"
    }

    /// Checks a manifest's layer count and config size before anything is fetched or stored.
    /// Returns the reason to refuse `manifest` (named `what` in the message), nil when it is fine.
    public static func refusal(of manifest: Manifest, _ what: String) -> String? {
        if manifest.layers.count > maxLayers {
            return "\(what) has \(manifest.layers.count) layers, more than the \(maxLayers) an image may have (max depth exceeded); refusing it"
        }
        if manifest.config.size > Int64(maxConfigSize) || manifest.config.size < 0 {
            return "\(what) has a config (\(manifest.config.digest)) of \(manifest.config.size) bytes, more than the \(maxConfigSize) bytes allowed; refusing it"
        }
        return nil
    }
}

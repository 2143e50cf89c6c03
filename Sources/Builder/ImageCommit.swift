import Foundation
import ImageSpec
import ImageStore

/// Writes a finished stage's config and manifest into the store.
///
/// A rebuild whose every step was cached makes the image it made before: the result is
/// remembered under a key of everything but the creation times (the stage's cache key chain, the
/// config without its `created` fields, the layers, `SOURCE_DATE_EPOCH`), in
/// `kiln/cache/image-<key>.json`, and when that image is still in the store it is returned as it
/// is — same image ID, no blob and no record written (Docker's cached rebuilds keep the ID too).
struct ImageCommit {
    let store: ContentStore
    /// `SOURCE_DATE_EPOCH`: the created times become it (see ``ImageConfig/applySourceDateEpoch(_:)``).
    var sourceDateEpoch: Int64? = nil
    /// Whether an earlier identical result may be reused (false with `--no-cache`).
    var reuse = true

    func write(_ state: StageState) async throws -> BuildResult {
        let key = resultKey(state)
        if reuse, var earlier = earlierResult(key, snapshots: state.snapshots) {
            earlier.buildKitTrail = state.buildKitTrail
            return earlier
        }
        var config = state.config
        HistoryDates.fill(&config.history)
        config.created = HistoryDates.imageCreated(config.history) ?? Timestamp(Date())
        if let sourceDateEpoch { config.applySourceDateEpoch(sourceDateEpoch) }
        let configBlob = try JSONBlob(encoding: config)
        let configDescriptor = try store.put(bytes: configBlob.bytes, mediaType: .ociConfig)
        let manifest = Manifest(mediaType: .ociManifest, config: configDescriptor, layers: state.layers)
        let manifestBlob = try JSONBlob(encoding: manifest)
        let manifestDescriptor = try store.put(bytes: manifestBlob.bytes, mediaType: .ociManifest)
        if let key { remember(key, manifestDescriptor) }
        var result = BuildResult(manifestDescriptor: manifestDescriptor, manifest: manifest, configDescriptor: configDescriptor,
                                 config: config, snapshots: state.snapshots)
        result.buildKitTrail = state.buildKitTrail
        return result
    }

    /// sha256 of what decides the image apart from the clock; nil if the config cannot be encoded.
    private func resultKey(_ state: StageState) -> String? {
        var config = state.config
        config.created = nil
        for i in config.history.indices { config.history[i].created = nil }
        guard let encoded = try? CanonicalJSON.encode(config), let layers = try? CanonicalJSON.encode(state.layers) else { return nil }
        var digester = Digester()
        digester.update(Data("kiln-image-result-v1\n\(state.cacheKey)\n\(sourceDateEpoch.map(String.init) ?? "-")\n".utf8))
        digester.update(encoded)
        digester.update(Data([0x0A]))
        digester.update(layers)
        return digester.finalize().hex
    }

    private func recordURL(_ key: String) -> URL {
        store.location.stateDirectory.appendingPathComponent("cache").appendingPathComponent("image-\(key).json")
    }

    /// The image remembered under `key`, when its manifest and config are still stored.
    private func earlierResult(_ key: String?, snapshots: [URL]) -> BuildResult? {
        guard let key, let data = try? Data(contentsOf: recordURL(key)),
              let descriptor = try? JSONDecoder().decode(Descriptor.self, from: data),
              let manifestBytes = try? store.read(descriptor.digest),
              let manifest = try? JSONBlob<Manifest>(bytes: manifestBytes).value,
              let configBytes = try? store.read(manifest.config.digest),
              let config = try? JSONBlob<ImageConfig>(bytes: configBytes).value else { return nil }
        return BuildResult(manifestDescriptor: descriptor, manifest: manifest, configDescriptor: manifest.config,
                           config: config, snapshots: snapshots)
    }

    /// Records the result (atomically; a failed write only costs a rewrite next time).
    private func remember(_ key: String, _ descriptor: Descriptor) {
        guard let data = try? CanonicalJSON.encode(descriptor) else { return }
        let url = recordURL(key)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temp = url.deletingLastPathComponent().appendingPathComponent(".image-\(key).\(UInt32.random(in: 0...UInt32.max))")
        guard (try? data.write(to: temp)) != nil else { return }
        if rename(temp.path, url.path) != 0 { try? FileManager.default.removeItem(at: temp) }
    }
}

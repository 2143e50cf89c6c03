import Foundation
import ImageSpec
import ImageStore

/// Writes a finished stage's config and manifest into the store.
struct ImageCommit {
    let store: ContentStore
    /// `SOURCE_DATE_EPOCH`: the created times become it (see ``ImageConfig/applySourceDateEpoch(_:)``).
    var sourceDateEpoch: Int64? = nil

    func write(_ state: StageState) async throws -> BuildResult {
        var config = state.config
        HistoryDates.fill(&config.history)
        config.created = HistoryDates.imageCreated(config.history) ?? Timestamp(Date())
        if let sourceDateEpoch { config.applySourceDateEpoch(sourceDateEpoch) }
        let configBlob = try JSONBlob(encoding: config)
        let configDescriptor = try store.put(bytes: configBlob.bytes, mediaType: .ociConfig)
        let manifest = Manifest(mediaType: .ociManifest, config: configDescriptor, layers: state.layers)
        let manifestBlob = try JSONBlob(encoding: manifest)
        let manifestDescriptor = try store.put(bytes: manifestBlob.bytes, mediaType: .ociManifest)
        return BuildResult(manifestDescriptor: manifestDescriptor, manifest: manifest, configDescriptor: configDescriptor,
                           config: config, snapshots: state.snapshots)
    }
}

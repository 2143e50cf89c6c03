import Foundation
import ImageSpec
import ImageStore
import Images
import LayerArchive
import Synchronization

/// Where an imported cache entry's layer blob lives until it is needed.
public enum CacheLayerSource: Sendable, Hashable {
    /// A repository of a registry (`--cache-from type=registry` or `type=inline`).
    case registry(RemoteBlob)
    /// An OCI layout directory (`--cache-from type=local,src=DIR`).
    case layout(URL)
}

/// The entries of every `--cache-from type=…` import, by kiln cache key; the first import that
/// holds a key wins.
public struct ImportedCacheIndex: Sendable {
    var entries: [String: (entry: CacheEntry, source: CacheLayerSource)] = [:]
    /// COPY/ADD alias keys and the keys they stand for (``CopyAlias``).
    var aliases: [String: String] = [:]
    /// Cache mount contents by directory name (`cache-mounts=true`).
    var cacheMounts: [String: (entry: CacheEntry, source: CacheLayerSource)] = [:]

    public init() {}

    public mutating func add(_ imported: [CacheEntry], from source: CacheLayerSource) {
        for entry in imported {
            if let name = entry.cacheMount {
                if cacheMounts[name] == nil { cacheMounts[name] = (entry, source) }
            } else if let target = entry.aliasOf {
                if aliases[entry.key] == nil { aliases[entry.key] = target }
            } else if entries[entry.key] == nil {
                entries[entry.key] = (entry, source)
            }
        }
    }

    public var count: Int { entries.count }
}

/// Layers a build took from an imported cache without fetching them: each by the snapshot path it
/// stands for (fetched and unpacked when a later step or the output needs its files), and each
/// blob by digest (a push mounts or copies it from where it lives).
final class LazyLayers: Sendable {
    struct Pending: Sendable {
        var layer: Descriptor
        var diffID: Digest
        var chainID: Digest
        var source: CacheLayerSource
    }

    private let state = Mutex<(pending: [String: Pending], blobs: [Digest: CacheLayerSource], used: [String: CacheEntry],
                               aliases: [String: String])>(([:], [:], [:], [:]))

    /// Notes a COPY/ADD alias key and the key it stands for (exported with the cache).
    func recordAlias(_ alias: String, _ key: String) { state.withLock { $0.aliases[alias] = key } }
    var aliases: [String: String] { state.withLock { $0.aliases } }

    private let mounts = Mutex<[String: String]>([:])
    /// Notes a cache mount directory this build used (exported with `cache-mounts=true`).
    func noteCacheMount(_ name: String, path: String) { mounts.withLock { $0[name] = path } }
    var cacheMounts: [String: String] { mounts.withLock { $0 } }

    func add(_ pending: Pending, path: String, key: String, entry: CacheEntry) {
        state.withLock {
            $0.pending[path] = pending
            $0.blobs[pending.layer.digest] = pending.source
            $0.used[key] = entry
        }
    }

    func noteBlob(_ digest: Digest, source: CacheLayerSource, key: String, entry: CacheEntry) {
        state.withLock {
            $0.blobs[digest] = source
            $0.used[key] = entry
        }
    }

    func pending(_ path: String) -> Pending? { state.withLock { $0.pending[path] } }
    func done(_ path: String) { _ = state.withLock { $0.pending.removeValue(forKey: path) } }
    func source(of digest: Digest) -> CacheLayerSource? { state.withLock { $0.blobs[digest] } }
    var blobs: [Digest: CacheLayerSource] { state.withLock { $0.blobs } }
    /// Imported entries this build used (for a re-export).
    var used: [CacheEntry] { state.withLock { Array($0.used.values) } }
}

extension Builder {
    /// Appends the layer an imported cache holds for `key` (without fetching it when it is not in
    /// the store); false when no import holds the key.
    /// `buildKitKeys`: the step's BuildKit chain keys, asked when no import holds `key` (a cache
    /// Docker exported); the layer is then recorded under `key`.
    func appendImportedLayer(_ key: String, history: String, state: inout StageState, step: Int, title: String,
                             buildKitKeys: [String] = []) throws -> Bool {
        guard cache.enabled else { return false }
        let found = options.cacheImports.entries[key]
            ?? buildKitKeys.lazy.compactMap { Digest($0).flatMap { self.options.cacheImports.entries[$0.hex] } }.first
        guard let (imported, source) = found else { return false }
        var entry = imported
        entry.key = key
        let created = entry.created ?? Timestamp(Date())
        if store.contains(entry.layer.digest) {
            try committer.append(entry.layer, diffID: entry.diffID, to: &state, step: title)
            cache.save(key, BuildCache.Record(layer: entry.layer, diffID: entry.diffID, created: created))
        } else {
            var diffIDs = state.config.rootfs.diffIDs
            diffIDs.append(entry.diffID)
            let chainID = ChainID.compute(diffIDs: diffIDs)!
            try store.hold(snapshots: [chainID])
            let path = store.snapshotPath(chainID)
            if store.hasSnapshot(chainID) {
                lazyLayers.noteBlob(entry.layer.digest, source: source, key: key, entry: entry)
            } else {
                lazyLayers.add(LazyLayers.Pending(layer: entry.layer, diffID: entry.diffID, chainID: chainID, source: source),
                               path: path.path, key: key, entry: entry)
            }
            state.config.rootfs.diffIDs = diffIDs
            state.layers.append(entry.layer)
            state.snapshots.append(path)
        }
        progress.cached(step)
        state.record(history, emptyLayer: false, layerCreated: created)
        state.cacheKey = key
        return true
    }

    /// Whether any of `snapshots` stands for a layer not fetched yet.
    func hasLazyLayers(_ snapshots: [URL]) -> Bool {
        snapshots.contains { lazyLayers.pending($0.path) != nil }
    }

    /// Fetches and unpacks the lazily imported layers among `snapshots` (base first), so their
    /// files can be read. Idempotent; a layer fetched once is an ordinary store blob.
    func materializeLazy(_ snapshots: [URL]) async throws {
        for (i, url) in snapshots.enumerated() {
            guard let pending = lazyLayers.pending(url.path) else { continue }
            try await fetchImportedBlob(pending.layer, from: pending.source)
            do {
                try images.unpackCachedLayer(pending.layer, diffID: pending.diffID, chainID: pending.chainID,
                                             lowerLayers: snapshots.prefix(i).map(\.path))
            } catch {
                throw BuildError("cached layer \(pending.layer.digest) cannot be used: \(error)")
            }
            lazyLayers.done(url.path)
        }
    }

    private func fetchImportedBlob(_ layer: Descriptor, from source: CacheLayerSource) async throws {
        do {
            switch source {
            case .registry(let remote):
                try await images.fetchCachedLayer(layer, from: remote)
            case .layout(let directory):
                try store.hold(blobs: [layer.digest])
                if !store.contains(layer.digest) {
                    try await store.ingest(expected: layer, contentsOf: ImageService.cacheLayoutBlob(directory, layer.digest))
                }
            }
        } catch {
            throw BuildError("cannot fetch cached layer \(layer.digest): \(error)")
        }
    }

    /// Makes `result` complete in the store: fetches the lazily imported layers it names (for an
    /// output that reads files, or an image kept in the store). Not needed for a push only: the
    /// push mounts or copies those blobs (``lazyBlobSources``).
    public func fetchLazyLayers(of result: BuildResult) async throws {
        try await materializeLazy(result.snapshots)
        for layer in result.manifest.layers where !store.contains(layer.digest) {
            if let source = lazyLayers.source(of: layer.digest) { try await fetchImportedBlob(layer, from: source) }
        }
    }

    /// Fetches the layer blobs of `entries` taken lazily from an imported cache (for an export
    /// that copies blobs, `--cache-to type=local`).
    public func fetchLazyLayers(entries: [CacheEntry]) async throws {
        for entry in entries where !store.contains(entry.layer.digest) {
            if let source = lazyLayers.source(of: entry.layer.digest) { try await fetchImportedBlob(entry.layer, from: source) }
        }
    }

    /// Fills a new cache mount directory from an imported cache (`cache-mounts=true`); a layer
    /// that cannot be had or unpacked is a warning (the mount then starts empty, as it would).
    func restoreCacheMount(_ name: String, into path: String) async {
        guard cache.enabled, let (entry, source) = options.cacheImports.cacheMounts[name] else { return }
        do {
            try await fetchImportedBlob(entry.layer, from: source)
            try images.unpackLayer(entry.layer, diffID: entry.diffID, into: path)
        } catch {
            FileHandle.standardError.write(Data("WARNING: cache mount contents \(entry.layer.digest) not restored: \(error)\n".utf8))
        }
    }

    /// The cache mount directories this build used, each written as a layer blob in the store
    /// (`--cache-to …,cache-mounts=true`). Reads each while holding its lock shared, so a `locked`
    /// writer in another build is not read half way.
    public func cacheMountEntries() throws -> [CacheEntry] {
        var result: [CacheEntry] = []
        for (name, path) in lazyLayers.cacheMounts.sorted(by: { $0.key < $1.key }) {
            let lock = open(path + ".lock", O_RDWR | O_CLOEXEC)
            if lock >= 0 { flock(lock, LOCK_SH) }
            defer { if lock >= 0 { close(lock) } }
            let entries = try LayerDiff.entries(fromDirectory: path)
            let (fd, temp) = try store.makeBlobTempFile("cache-mount")
            do {
                let (digests, _) = try LayerDiff.writeLayer(entries, to: FileDescriptor(fd: fd), compression: .none)
                let descriptor = digests.descriptor(mediaType: .ociLayer)
                try store.adoptBlob(temp, as: descriptor)
                result.append(CacheEntry(key: name, layer: descriptor, diffID: digests.diffID, created: nil, cacheMount: name))
            } catch {
                unlink(temp.path)
                throw error
            }
        }
        return result
    }

    /// Notes the cache keys this build used under `imageID` too (an image the command derived from
    /// the build's result, `--cache-to type=inline`), so prune keeps them while it exists.
    public func recordCacheUse(for imageID: Digest) {
        cache.recordBuild(of: imageID)
    }

    /// Registry locations of the layers this build took from an imported cache and has not fetched.
    public var lazyBlobSources: [Digest: RemoteBlob] {
        var result: [Digest: RemoteBlob] = [:]
        for (digest, source) in lazyLayers.blobs where !store.contains(digest) {
            if case .registry(let remote) = source { result[digest] = remote }
        }
        return result
    }

    /// The cache entries of this build for `--cache-to`: with `allStages` (mode=max) every step
    /// that made or reused a layer, else (mode=min) only those whose layer is in `result`.
    public func cacheEntries(allStages: Bool, result: BuildResult) -> [CacheEntry] {
        var entries: [String: CacheEntry] = [:]
        for entry in lazyLayers.used { entries[entry.key] = entry }
        for key in cache.used.all where entries[key] == nil {
            guard let data = try? Data(contentsOf: cache.directory.appendingPathComponent(key + ".json")),
                  let record = try? JSONDecoder().decode(BuildCache.Record.self, from: data) else { continue }
            entries[key] = CacheEntry(key: key, layer: record.layer, diffID: record.diffID, created: record.created)
        }
        for (alias, key) in lazyLayers.aliases {
            guard var entry = entries[key], entry.aliasOf == nil, entries[alias] == nil else { continue }
            entry.key = alias
            entry.aliasOf = key
            entries[alias] = entry
        }
        let final = Set(result.config.rootfs.diffIDs)
        return entries.values.filter { allStages || final.contains($0.diffID) }.sorted { $0.key < $1.key }
    }
}

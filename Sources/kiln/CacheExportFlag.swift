import ArgumentParser
import Builder
import Foundation
import ImageSpec
import Images
import LayerVariants

/// A `--cache-to` / `--cache-from` value in `docker buildx`'s CSV form: `type=…,key=value,…`.
struct CacheSpec {
    var type: String
    var attributes: [String: String]
    let text: String

    init(parsing text: String) throws {
        self.text = text
        var fields: [String: String] = [:]
        for part in text.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            fields[kv[0].trimmingCharacters(in: .whitespaces)] = kv.count > 1 ? kv[1] : ""
        }
        // buildx: a bare reference (or ref= without a type) is a registry cache.
        if !text.contains("=") { fields = ["type": "registry", "ref": text] }
        type = fields.removeValue(forKey: "type") ?? "registry"
        attributes = fields
    }

    func bool(_ name: String, default value: Bool) throws -> Bool {
        guard let text = attributes[name] else { return value }
        switch text.lowercased() {
        case "true", "1", "": return true
        case "false", "0": return false
        default: throw ValidationError("\(name)=\(text) in \"\(self.text)\" is not true or false")
        }
    }
}

/// `kiln build --cache-to type=registry|local|inline,…` (repeatable): after the build, the cache
/// entries of its steps (see `Builder.cacheEntries`) in BuildKit's cache layout.
struct CacheExportFlag {
    enum Kind { case registry(ImageReference), local(URL), inline }
    var kind: Kind
    /// `mode=max`: every stage's layers; `mode=min` (default): the final image's.
    var allStages: Bool
    var format: CacheExportFormat
    /// `ignore-error` (default true here): a failed export is a warning; false makes it an error.
    var ignoreError: Bool
    /// `cache-mounts=true`: the `RUN --mount=type=cache` directories the build used go along as layers.
    var includeCacheMounts: Bool
    var tag: String
    let text: String

    init(parsing text: String, compression: ExportCompression) throws {
        let spec = try CacheSpec(parsing: text)
        self.text = text
        switch spec.attributes["mode"] ?? "min" {
        case "min": allStages = false
        case "max": allStages = true
        case let other: throw ValidationError("--cache-to \(text): mode=\(other) is not min or max")
        }
        format = CacheExportFormat()
        format.ociMediaTypes = try spec.bool("oci-mediatypes", default: true)
        format.imageManifest = try spec.bool("image-manifest", default: false)
        format.compression = compression
        if spec.attributes["compression"] != nil || spec.attributes["compression-level"] != nil {
            let level = try spec.attributes["compression-level"].map { value in
                guard let number = Int(value) else { throw ValidationError("--cache-to \(text): compression-level=\(value) is not a number") }
                return number
            }
            do { format.compression = try ExportCompression(name: spec.attributes["compression"], level: level) } catch let error as ExportCompressionError {
                throw ValidationError("--cache-to \(text): \(error.description)")
            }
        }
        if format.imageManifest && !format.ociMediaTypes {
            throw ValidationError("--cache-to \(text): image-manifest=true needs oci-mediatypes=true")
        }
        ignoreError = try spec.bool("ignore-error", default: true)
        tag = spec.attributes["tag"] ?? "latest"
        includeCacheMounts = try spec.bool("cache-mounts", default: false)
        switch spec.type {
        case "registry":
            guard let ref = spec.attributes["ref"], !ref.isEmpty else { throw ValidationError("--cache-to \(text): type=registry needs ref=REPOSITORY[:TAG]") }
            do { kind = .registry(try ImageReference(parsing: ref)) } catch {
                throw ValidationError("--cache-to \(text): ref=\(ref) is not a valid reference: \(error)")
            }
        case "local":
            guard let dest = spec.attributes["dest"], !dest.isEmpty else { throw ValidationError("--cache-to \(text): type=local needs dest=DIRECTORY") }
            kind = .local(URL(fileURLWithPath: dest))
        case "inline":
            kind = .inline
        default:
            throw ValidationError("--cache-to \(text): type=\(spec.type) is not supported (registry, local, inline)")
        }
    }

    var isInline: Bool { if case .inline = kind { return true } else { return false } }

    /// Writes the cache; a failure is a warning unless `ignore-error=false`.
    func export(_ builder: Builder, result: BuildResult, service: ImageService) async throws {
        try await export([(builder, result)], service: service)
    }

    /// Writes one cache holding the records of every build in `builds` (a multi-platform build's
    /// platforms: one cache manifest for all of them, as BuildKit writes it); a record two builds
    /// share is written once. A failure is a warning unless `ignore-error=false`.
    func export(_ builds: [(builder: Builder, result: BuildResult)], service: ImageService) async throws {
        var entries: [CacheEntry] = []
        var seen = Set<String>()
        do {
            for (builder, result) in builds {
                var own = builder.cacheEntries(allStages: allStages, result: result)
                if includeCacheMounts, !isInline { own += try builder.cacheMountEntries() }
                entries += own.filter { seen.insert(($0.cacheMount == nil ? "key:" : "mount:") + $0.key).inserted }
            }
            switch kind {
            case .registry(let reference):
                var remoteBlobs: [Digest: RemoteBlob] = [:]
                for (builder, _) in builds { remoteBlobs.merge(builder.lazyBlobSources) { first, _ in first } }
                try await service.pushCache(entries, to: reference, format: format, remoteBlobs: remoteBlobs)
            case .local(let directory):
                for (builder, _) in builds { try await builder.fetchLazyLayers(entries: entries) }
                try service.writeCacheLayout(entries, to: directory, tag: tag, format: format)
            case .inline:
                return  // written into the image config before it is named (InlineCacheExport)
            }
        } catch {
            if !ignoreError { throw CacheExportError("--cache-to \(text): exporting the build cache failed: \(error)") }
            printError("WARNING: --cache-to \(text): the build cache was not exported: \(error)")
        }
    }
}

struct CacheExportError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `--cache-to type=inline`: the image config gets `moby.buildkit.cache.v0` with the records of
/// the final image's layers (a new config, so a new image ID, as with BuildKit).
enum InlineCacheExport {
    static func apply(_ result: BuildResult, entries: [CacheEntry], service: ImageService) throws -> BuildResult {
        guard let value = InlineCache.value(entries, diffIDs: result.config.rootfs.diffIDs, buildKit: result.buildKitTrail) else { return result }
        var result = result
        result.config.extraFields[BuildKitCacheConfig.inlineConfigField] = value
        let configBlob = try JSONBlob(encoding: result.config)
        result.configDescriptor = try service.store.put(bytes: configBlob.bytes, mediaType: result.configDescriptor.mediaType)
        result.manifest.config = result.configDescriptor
        let manifestBlob = try JSONBlob(encoding: result.manifest)
        result.manifestDescriptor = try service.store.put(bytes: manifestBlob.bytes, mediaType: result.manifestDescriptor.mediaType)
        return result
    }
}

/// `kiln build --cache-from type=registry|local,…` (repeatable): reads each cache manifest. One
/// that cannot be reached or read is a warning naming it; the build then runs those steps.
enum CacheImportFlag {
    /// Whether a `--cache-from` value is a cache import spec rather than a plain image name.
    static func isSpec(_ text: String) -> Bool { text.contains("=") }

    /// Refuses an unknown cache type or a spec without its location (exit 1 before the build).
    static func validate(_ texts: [String]) throws {
        for text in texts where isSpec(text) {
            let spec = try CacheSpec(parsing: text)
            switch spec.type {
            case "registry" where !(spec.attributes["ref"] ?? "").isEmpty, "local" where !(spec.attributes["src"] ?? "").isEmpty:
                continue
            case "registry", "local":
                throw ValidationError("--cache-from \(text): type=\(spec.type) needs \(spec.type == "local" ? "src=DIRECTORY" : "ref=REPOSITORY[:TAG]")")
            default:
                throw ValidationError("--cache-from \(text): type=\(spec.type) is not supported (registry, local)")
            }
        }
    }

    static func load(_ texts: [String], service: ImageService) async -> ImportedCacheIndex {
        var index = ImportedCacheIndex()
        for text in texts {
            do {
                let spec = try CacheSpec(parsing: text)
                switch spec.type {
                case "registry":
                    guard let ref = spec.attributes["ref"], !ref.isEmpty else { throw ValidationError("type=registry needs ref=REPOSITORY[:TAG]") }
                    let imported = try await service.pullCache(try ImageReference(parsing: ref))
                    index.add(imported.entries, from: .registry(imported.source))
                case "local":
                    guard let src = spec.attributes["src"], !src.isEmpty else { throw ValidationError("type=local needs src=DIRECTORY") }
                    let directory = URL(fileURLWithPath: src)
                    let entries = try await ImageService.readCacheLayout(directory, tag: spec.attributes["tag"] ?? "latest")
                    index.add(entries, from: .layout(directory))
                default:
                    throw ValidationError("type=\(spec.type) is not supported (registry, local)")
                }
            } catch {
                printError("WARNING: --cache-from \(text): not used as a build cache: \(error)")
            }
        }
        return index
    }
}

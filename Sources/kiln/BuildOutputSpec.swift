import ArgumentParser
import Builder
import Foundation
import ImageSpec
import Images
import LayerVariants

/// One `--output type=…,dest=…`.
struct BuildOutputSpec {
    enum Kind: String { case docker, oci, local, image }
    var kind: Kind
    var dest: String?
    /// `compression=` / `compression-level=` (BuildKit's exporter attributes); nil: the build's `--compression`.
    var compression: ExportCompression?

    init(parsing text: String) throws {
        var fields: [String: String] = [:]
        for part in text.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            fields[kv[0]] = kv.count > 1 ? kv[1] : ""
        }
        if fields["type"] == nil, !text.contains("=") { fields = ["type": "local", "dest": text] }
        guard let type = fields["type"], let kind = Kind(rawValue: type) else {
            throw ValidationError("unsupported output type in \"\(text)\" (docker, oci, local, image)")
        }
        self.kind = kind
        self.dest = fields["dest"]
        if kind != .image, dest == nil { throw ValidationError("output \(type) needs dest=PATH") }
        if fields["compression"] != nil || fields["compression-level"] != nil {
            let level = try fields["compression-level"].map { text in
                guard let value = Int(text) else { throw ValidationError("compression-level=\(text) is not a number") }
                return value
            }
            do {
                compression = try ExportCompression(name: fields["compression"], level: level)
            } catch let error as ExportCompressionError {
                throw ValidationError(error.description)
            }
        }
    }

    /// `image`: the descriptor archives hold (the built manifest, or an index holding it and its attestations).
    func write(_ result: BuildResult, image: Descriptor? = nil, service: ImageService, tags: [ImageReference], compression: ExportCompression) async throws {
        guard let dest else { return }
        switch kind {
        case .image:
            return
        case .docker, .oci:
            try await ImageOutput.write(image ?? result.manifestDescriptor, kind: kind, service: service, tags: tags, to: dest, compression: self.compression ?? compression)
        case .local:
            try LocalOutput.write(result, store: service.store, to: dest)
        }
    }
}

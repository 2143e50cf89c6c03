import ArgumentParser
import LayerVariants

/// `--compression` and `--compression-level`: how layers kiln stores uncompressed are compressed
/// when the image leaves the machine (push, `save --format oci`, `build --push` / `-o type=oci`).
struct CompressionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Compression of layers leaving the machine: gzip (default), zstd or uncompressed", valueName: "string"))
    var compression: String?

    @Option(name: .customLong("compression-level"), help: ArgumentHelp("Compression level (gzip 0-12, default 6; zstd 1-22, default 3)", valueName: "int"))
    var compressionLevel: Int?

    func validate() throws {
        _ = try resolved()
    }

    /// The chosen compression; throws a `ValidationError` naming the valid choices.
    func resolved() throws -> ExportCompression {
        do {
            return try ExportCompression(name: compression, level: compressionLevel)
        } catch let error as ExportCompressionError {
            throw ValidationError(error.description)
        }
    }
}

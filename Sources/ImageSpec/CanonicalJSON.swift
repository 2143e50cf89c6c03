import Foundation

/// The one JSON encoding kiln uses for content it creates (manifests, indexes, configs, index.json),
/// and the decoding entry point that turns JSON errors into ``ImageSpecError``.
///
/// The bytes are: compact (no whitespace), object keys sorted by their UTF-8 bytes, `/` not
/// escaped, and only what RFC 8259 requires escaped (`"`, `\`, control characters). In particular
/// `<`, `>` and `&` are written as themselves, **not** as `\u003c`, `\u003e`, `\u0026` the way Go's
/// `encoding/json` (and so Docker and BuildKit) writes them. Byte equality with Docker's output is
/// out of reach anyway (Go writes struct fields in declaration order, not sorted), so kiln keeps
/// the simpler, fully specified form; every reader decodes both alike. Integers are written as
/// integers; configs hold no floating-point numbers.
///
/// The contract that matters: a digest is always computed over the exact bytes that are stored or
/// sent. Content read from elsewhere is kept as the bytes it came in and never re-encoded
/// (see ``JSONBlob``), since re-encoding would change its digest.
public enum CanonicalJSON {
    /// Encodes `value` in the canonical form. Throws ``ImageSpecError`` (`invalidDocument`) if
    /// the value cannot be represented in JSON (e.g. a non-finite number).
    public static func encode<Value: Encodable>(_ value: Value) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dataEncodingStrategy = .base64
        do {
            return try encoder.encode(value)
        } catch let error as ImageSpecError {
            throw error
        } catch {
            throw ImageSpecError(.invalidDocument, "cannot encode \(Value.self) as JSON: \(error)")
        }
    }

    /// Decodes a `Value` from JSON bytes. Throws ``ImageSpecError`` (`invalidDocument` for malformed
    /// JSON or a missing or mistyped field, or the validating type's own code) saying where.
    public static func decode<Value: Decodable>(_ type: Value.Type, from bytes: Data) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: bytes)
        } catch let error as ImageSpecError {
            throw error
        } catch let error as DecodingError {
            throw ImageSpecError(.invalidDocument, "invalid \(Value.self) JSON: \(describe(error))")
        } catch {
            throw ImageSpecError(.invalidDocument, "invalid \(Value.self) JSON: \(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            let text = keys.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }
                .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
            return text.isEmpty ? "top level" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing \"\(key.stringValue)\" at \(path(context.codingPath))"
        case .typeMismatch(let type, let context):
            return "expected \(type) at \(path(context.codingPath))"
        case .valueNotFound(let type, let context):
            return "expected \(type), found null at \(path(context.codingPath))"
        case .dataCorrupted(let context):
            return "\(context.debugDescription) at \(path(context.codingPath))"
        @unknown default:
            return "\(error)"
        }
    }
}

/// A JSON document together with the exact bytes it is stored as, and their digest.
///
/// Contract: ``bytes`` are never re-encoded. ``init(bytes:)`` keeps the bytes it was given
/// (from a registry, a layout, a tarball) verbatim; ``init(encoding:)`` makes them with
/// ``CanonicalJSON``. ``digest`` and ``descriptor(mediaType:)`` always describe ``bytes``.
public struct JSONBlob<Value: Codable & Sendable>: Sendable {
    public let bytes: Data
    public let value: Value
    /// SHA-256 of ``bytes``.
    public let digest: Digest

    /// Decodes `bytes`, keeping them as they are. Throws ``ImageSpecError`` if they do not decode.
    public init(bytes: Data) throws {
        self.value = try CanonicalJSON.decode(Value.self, from: bytes)
        self.bytes = bytes
        self.digest = .sha256(of: bytes)
    }

    /// Checks `bytes` against `descriptor` (size and digest, in the descriptor's algorithm), then
    /// decodes them. Throws ``ImageSpecError`` (`contentMismatch` or a decoding error).
    public init(bytes: Data, verifying descriptor: Descriptor) throws {
        try descriptor.verify(bytes)
        try self.init(bytes: bytes)
    }

    /// Encodes `value` with ``CanonicalJSON``.
    public init(encoding value: Value) throws {
        self.bytes = try CanonicalJSON.encode(value)
        self.value = value
        self.digest = .sha256(of: bytes)
    }

    /// A descriptor of these bytes.
    public func descriptor(mediaType: MediaType, platform: Platform? = nil, annotations: [String: String]? = nil) -> Descriptor {
        Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count), annotations: annotations, platform: platform)
    }
}

extension JSONBlob: Equatable where Value: Equatable {}

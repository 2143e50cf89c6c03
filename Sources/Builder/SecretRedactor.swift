import Foundation

/// Replaces secret values in text kiln shows (RUN output, error messages) with `****`. Streaming
/// input is held back by the longest secret's length minus one byte, so a value split across
/// chunks is still caught. A defence only: the secrets never reach a layer in the first place.
final class SecretRedactor: @unchecked Sendable {
    static let mask = Array("****".utf8)
    /// The values to hide, longest first (each also without a trailing newline).
    let values: [[UInt8]]
    private var pending: [UInt8] = []
    private let lock = NSLock()

    init(_ secrets: [[UInt8]]) {
        var set: Set<[UInt8]> = []
        for value in secrets {
            var trimmed = value
            while let last = trimmed.last, last == 0x0A || last == 0x0D { trimmed.removeLast() }
            for v in [value, trimmed] where !v.isEmpty { set.insert(v) }
        }
        values = set.sorted { $0.count > $1.count }
    }

    var isEmpty: Bool { values.isEmpty }

    /// The bytes of `chunk` (after what was held back) that are safe to show now.
    func feed(_ chunk: [UInt8]) -> [UInt8] {
        guard !values.isEmpty else { return chunk }
        lock.lock(); defer { lock.unlock() }
        pending = redact(pending + chunk)
        let keep = min(pending.count, (values.first?.count ?? 1) - 1)
        let out = Array(pending[..<(pending.count - keep)])
        pending.removeFirst(pending.count - keep)
        return out
    }

    /// What is still held back.
    func flush() -> [UInt8] {
        lock.lock(); defer { lock.unlock() }
        let out = redact(pending)
        pending = []
        return out
    }

    func redact(_ text: String) -> String {
        guard !values.isEmpty else { return text }
        return String(decoding: redact(Array(text.utf8)), as: UTF8.self)
    }

    func redact(_ bytes: [UInt8]) -> [UInt8] {
        var data = bytes
        for value in values {
            guard data.count >= value.count else { continue }
            var out: [UInt8] = []
            out.reserveCapacity(data.count)
            var i = 0
            while i < data.count {
                if i + value.count <= data.count, data[i] == value[0], data[i..<(i + value.count)].elementsEqual(value) {
                    out += Self.mask
                    i += value.count
                } else {
                    out.append(data[i])
                    i += 1
                }
            }
            data = out
        }
        return data
    }
}

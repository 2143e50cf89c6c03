extension Mount {
    /// Applies one expanded `key=value` field (key already lower-cased).
    mutating func apply(key: String, value: String, field: String, readOnlyAuto: inout Bool) throws(DockerfileError) {
        switch key {
        case "type":
            guard let parsed = MountType(rawValue: value.lowercased()) else {
                let hint = Suggestion.buildKit(value, in: MountType.allCases.map(\.rawValue), caseSensitive: true)
                throw DockerfileError("unsupported mount type \(GoQuote.quote(value))", suggestion: hint.map { "did you mean \($0)?" })
            }
            type = parsed
        case "target", "dst", "destination":
            target = value
        case "readonly", "ro":
            guard let flag = GoSyntax.parseBool(value) else { throw Mount.invalidValue(key, value) }
            readOnly = flag
            readOnlyAuto = false
        case "readwrite", "rw":
            guard let flag = GoSyntax.parseBool(value) else { throw Mount.invalidValue(key, value) }
            readOnly = !flag
            readOnlyAuto = false
        case "required":
            guard type == .secret || type == .ssh else { throw Mount.unexpectedKey(key, for: type) }
            guard let flag = GoSyntax.parseBool(value) else { throw Mount.invalidValue(key, value) }
            required = flag
        case "size":
            guard type == .tmpfs else { throw Mount.unexpectedKey(key, for: type) }
            guard let bytes = MountSize.ramInBytes(value) else { throw Mount.invalidValue(key, value) }
            sizeLimit = bytes
        case "id":
            cacheID = value
        case "sharing":
            guard type == .cache else { throw DockerfileError("invalid cache sharing set for \(type.rawValue) mount") }
            guard let parsed = CacheSharing(rawValue: value.lowercased()) else {
                throw DockerfileError("unsupported sharing value \(GoQuote.quote(value))")
            }
            sharing = parsed
        case "from":
            from = value
        case "source", "src":
            source = value
        case "mode", "uid", "gid":
            try applyFileInfo(key: key, value: value)
        case "env":
            env = value
        default:
            let hint = Suggestion.buildKit(key, in: Mount.knownKeys, caseSensitive: true)
            throw DockerfileError("unexpected key '\(key)' in '\(field)'", suggestion: hint.map { "did you mean \($0)?" })
        }
    }

    /// `mode=` (octal), `uid=` and `gid=` (decimal), each a 32-bit unsigned number.
    private mutating func applyFileInfo(key: String, value: String) throws(DockerfileError) {
        let radix = key == "mode" ? 8 : 10
        guard let number = GoSyntax.parseUInt(value, radix: radix, bits: 32) else {
            throw DockerfileError("invalid value \(value) for \(key)")
        }
        switch key {
        case "mode": mode = UInt32(number)
        case "uid": uid = UInt32(number)
        default: gid = UInt32(number)
        }
    }
}

/// `github.com/docker/go-units.RAMInBytes`: `<number>[ ][kmgtp][i][b]`, binary multiples,
/// case-insensitive units, decimals allowed (`1.5g`).
enum MountSize {
    static func ramInBytes(_ text: String) -> Int64? {
        var scalars = Substring(text).unicodeScalars[...]
        var number = ""
        while let s = scalars.first, ("0"..."9").contains(s) || s == "." {
            number.unicodeScalars.append(s)
            scalars = scalars.dropFirst()
        }
        guard let first = number.unicodeScalars.first, ("0"..."9").contains(first),
              !number.hasSuffix("."), !number.contains(".."), let size = Double(number),
              number.filter({ $0 == "." }).count <= 1 else { return nil }
        if scalars.first == " " { scalars = scalars.dropFirst() }
        var multiplier: Double = 1
        let units: [Unicode.Scalar] = ["k", "m", "g", "t", "p"]
        if let unit = scalars.first, let power = units.firstIndex(where: { $0 == unit || $0.value - 32 == unit.value }) {
            multiplier = pow1024(power + 1)
            scalars = scalars.dropFirst()
        }
        if let s = scalars.first, s == "i" || s == "I" { scalars = scalars.dropFirst() }
        if let s = scalars.first, s == "b" || s == "B" { scalars = scalars.dropFirst() }
        guard scalars.isEmpty else { return nil }
        let bytes = size * multiplier
        guard bytes < 9.2e18 else { return Int64.max }
        return Int64(bytes)
    }

    private static func pow1024(_ power: Int) -> Double {
        (0..<power).reduce(1.0) { value, _ in value * 1024 }
    }
}

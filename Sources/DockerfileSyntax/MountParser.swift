extension Mount {
    /// Every key `--mount` accepts (for "did you mean" suggestions).
    static let knownKeys = [
        "type", "from", "source", "target", "readonly", "id", "sharing", "required", "size", "mode",
        "uid", "gid", "src", "dst", "destination", "ro", "rw", "readwrite", "env",
    ]

    /// Parses one `--mount` value: CSV fields `key=value` (keys case-insensitive) or bare boolean
    /// keys, processed left to right (so `required`/`size` before `type=` are checked against the
    /// default type `bind`).
    ///
    /// With `expander == nil` (parse time, BuildKit semantics) only the CSV syntax and the
    /// no-variable rule of `from` are checked and values are not applied. With an expander
    /// (dispatch time) every value is expanded, applied and validated.
    public static func parse(_ spec: String, expander: MountExpander?) throws(DockerfileError) -> Mount {
        let fields: [String]
        do throws(DockerfileError) {
            fields = try MountCSV.fields(spec)
        } catch {
            throw DockerfileError("failed to parse csv mounts: \(error.message)")
        }
        var mount = Mount()
        var readOnlyAuto = true
        for field in fields {
            let key: String
            var value: String
            if let eq = field.firstIndex(of: "=") {
                key = field[..<eq].lowercased()
                value = String(field[field.index(after: eq)...])
            } else {
                guard expander != nil else { continue }
                try mount.applyBare(key: field.lowercased(), field: field, readOnlyAuto: &readOnlyAuto)
                continue
            }
            if let expander {
                value = try expander(value)
            } else {
                if key == "from", let dollar = value.firstIndex(of: "$"), value.index(after: dollar) != value.endIndex {
                    throw DockerfileError("'from' doesn't support variable expansion, define alias stage instead")
                }
                continue
            }
            try mount.apply(key: key, value: value, field: field, readOnlyAuto: &readOnlyAuto)
        }
        try mount.finish(readOnlyAuto: readOnlyAuto)
        if expander != nil, mount.type == .ssh, !mount.source.isEmpty {
            throw DockerfileError("ssh does not support source")
        }
        return mount
    }

    /// A field without `=`: only the boolean keys may be bare.
    private mutating func applyBare(key: String, field: String, readOnlyAuto: inout Bool) throws(DockerfileError) {
        switch key {
        case "readonly", "ro":
            readOnly = true
            readOnlyAuto = false
        case "readwrite", "rw":
            readOnly = false
            readOnlyAuto = false
        case "required":
            guard type == .secret || type == .ssh else { throw Mount.unexpectedKey(key, for: type) }
            required = true
        default:
            throw DockerfileError("invalid field '\(field)' must be a key=value pair")
        }
    }

    static func unexpectedKey(_ key: String, for type: MountType) -> DockerfileError {
        DockerfileError("unexpected key '\(key)' for mount type '\(type.rawValue)'")
    }

    static func invalidValue(_ key: String, _ value: String) -> DockerfileError {
        DockerfileError("invalid value for \(key): \(value)")
    }

    /// Cross-field validation and defaults, after all fields were applied.
    private mutating func finish(readOnlyAuto: Bool) throws(DockerfileError) {
        if type == .bind || type == .tmpfs {
            if mode != nil { throw DockerfileError("mode not allowed for \(GoQuote.quote(type.rawValue)) type mounts") }
            if uid != nil { throw DockerfileError("uid not allowed for \(GoQuote.quote(type.rawValue)) type mounts") }
            if gid != nil { throw DockerfileError("gid not allowed for \(GoQuote.quote(type.rawValue)) type mounts") }
        }
        if readOnlyAuto { readOnly = Mount.defaultReadOnly(type) }
        if sharing != nil, type != .cache {
            throw DockerfileError("invalid cache sharing set for \(type.rawValue) mount")
        }
        if type == .secret {
            if !from.isEmpty { throw DockerfileError("secret mount should not have a from") }
            if sharing != nil { throw DockerfileError("secret mount should not define sharing") }
            if source.isEmpty, target.isEmpty, cacheID.isEmpty {
                throw DockerfileError("one of source, target required")
            }
            if !source.isEmpty, !cacheID.isEmpty { throw DockerfileError("both source and id can't be set") }
        }
        if type == .cache, sharing == nil { sharing = .shared }
    }
}

import Foundation
import ImageSpec

/// JSON written the way Go's `encoding/json` writes Docker's legacy v1 structures (struct field
/// order, `omitempty`, HTML-safe escaping), so the v1 IDs of a docker-archive's layer folders are
/// the ones Docker 20.10 `docker save` computes (`v1.CreateID`).
enum GoJSON {
    /// A JSON string with Go's escaping (`<`, `>`, `&`, U+2028, U+2029 as `\u00XX` forms).
    static func string(_ text: String) -> String { GoJSONString.quote(text) }

    /// Any value; object keys sorted (as Go writes maps).
    static func value(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .double(let d): return d == d.rounded() && abs(d) < 1e21 ? String(Int64(d)) : String(d)
        case .string(let s): return string(s)
        case .array(let items): return "[" + items.map(Self.value).joined(separator: ",") + "]"
        case .object(let fields):
            return "{" + fields.keys.sorted().map { string($0) + ":" + Self.value(fields[$0]!) }.joined(separator: ",") + "}"
        }
    }

    /// An object from ordered (key, already-encoded value) pairs.
    static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { string($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    private static func isEmpty(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null?: return true
        case .bool(let b)?: return !b
        case .integer(let i)?: return i == 0
        case .string(let s)?: return s.isEmpty
        case .array(let a)?: return a.isEmpty
        case .object(let o)?: return o.isEmpty
        default: return false
        }
    }

    /// Docker's `container.Config` (API 1.41) in struct order, from a config's `config` object.
    static func containerConfig(_ raw: JSONValue?) -> String {
        guard case .object(let c)? = raw else { return containerConfig(.object([:])) }
        var fields: [(String, String)] = []
        func plain(_ key: String, _ zero: String) { fields.append((key, c[key].map(value) ?? zero)) }
        func omitEmpty(_ key: String) { if !isEmpty(c[key]) { fields.append((key, value(c[key]!))) } }
        plain("Hostname", "\"\""); plain("Domainname", "\"\""); plain("User", "\"\"")
        plain("AttachStdin", "false"); plain("AttachStdout", "false"); plain("AttachStderr", "false")
        omitEmpty("ExposedPorts")
        plain("Tty", "false"); plain("OpenStdin", "false"); plain("StdinOnce", "false")
        plain("Env", "null"); plain("Cmd", "null")
        if case .object(let h)? = c["Healthcheck"] {
            var hc: [(String, String)] = []
            for key in ["Test", "Interval", "Timeout", "StartPeriod", "Retries"] where !isEmpty(h[key]) { hc.append((key, value(h[key]!))) }
            fields.append(("Healthcheck", object(hc)))
        }
        omitEmpty("ArgsEscaped")
        plain("Image", "\"\""); plain("Volumes", "null"); plain("WorkingDir", "\"\""); plain("Entrypoint", "null")
        omitEmpty("NetworkDisabled"); omitEmpty("MacAddress")
        plain("OnBuild", "null"); plain("Labels", "null")
        omitEmpty("StopSignal"); omitEmpty("StopTimeout"); omitEmpty("Shell")
        return object(fields)
    }

    /// Docker's `image.V1Image` in struct order. `config` is the image config JSON (nil for the
    /// empty v1 images Docker makes for layers below the top).
    static func v1Image(id: String?, parent: String?, config: [String: JSONValue]?) -> [(String, String)] {
        var fields: [(String, String)] = []
        func text(_ key: String) { if case .string(let s)? = config?[key], !s.isEmpty { fields.append((key, string(s))) } }
        if let id { fields.append(("id", string(id))) }
        if let parent { fields.append(("parent", string(parent))) }
        text("comment")
        let created: String
        if case .string(let s)? = config?["created"] { created = s } else { created = config == nil ? "1970-01-01T00:00:00Z" : "0001-01-01T00:00:00Z" }
        fields.append(("created", string(created)))
        text("container")
        fields.append(("container_config", containerConfig(config?["container_config"])))
        text("docker_version")
        text("author")
        if let raw = config?["config"], raw != .null { fields.append(("config", containerConfig(raw))) }
        text("architecture"); text("variant"); text("os")
        return fields
    }
}

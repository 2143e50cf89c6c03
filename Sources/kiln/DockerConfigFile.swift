import Foundation
import ImageSpec

/// Reading and writing Docker's `config.json` (`$DOCKER_CONFIG`, else `~/.docker`) the way
/// `docker login`/`logout` do: other fields are kept, the file is replaced atomically with mode
/// 0600 (its folder made 0700), tab-indented with sorted keys.
struct DockerConfigFile {
    let directory: String
    var path: String { directory + "/config.json" }

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        directory = environment["DOCKER_CONFIG"] ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.docker")
    }

    /// The whole document, or an empty object when there is no file.
    func read() throws -> [String: JSONValue] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        guard case .object(let object) = try JSONDecoder().decode(JSONValue.self, from: data) else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path])
        }
        return object
    }

    func write(_ object: [String: JSONValue]) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let text = Self.goJSON(.object(object)).render(indent: "\t", level: 0)
        let temp = directory + "/.config.json.\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: temp, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: temp])
        }
        chmod(temp, 0o600)
        guard rename(temp, path) == 0 else {
            unlink(temp)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }

    /// The `auths` entries.
    func auths(_ object: [String: JSONValue]) -> [String: JSONValue] {
        if case .object(let auths)? = object["auths"] { return auths }
        return [:]
    }

    static func goJSON(_ value: JSONValue) -> GoJSON {
        switch value {
        case .object(let dict): return .object(dict.keys.sorted().map { ($0, goJSON(dict[$0]!)) })
        case .array(let array): return .array(array.map(goJSON))
        case .string(let string): return .string(string)
        case .integer(let n): return .int(n)
        case .double(let d): return .raw(String(d))
        case .bool(let b): return .bool(b)
        case .null: return .null
        }
    }
}

/// `https://host:5000/v1/` → `host:5000`, as Docker normalises a login server argument.
func registryHost(fromServer server: String) -> String {
    var text = Substring(server)
    if let range = text.range(of: "://") { text = text[range.upperBound...] }
    if let slash = text.firstIndex(of: "/") { text = text[..<slash] }
    let host = String(text).lowercased()
    return ["docker.io", "index.docker.io", "registry-1.docker.io"].contains(host) ? "registry-1.docker.io" : host
}

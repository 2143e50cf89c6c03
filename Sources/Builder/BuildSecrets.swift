import Foundation

/// `kiln build --secret`, parsed the way buildx parses it (`build/secrets.go` plus BuildKit's
/// `secretsprovider.NewStore`): comma-separated `key=value` fields `type=file|env`, `id=`,
/// `src=`/`source=`, `env=`. `type=env` with only `src=` names the variable. With neither `src`
/// nor `env`, the id names an environment variable when one is set, else a file.
public struct SecretSpec: Sendable, Equatable {
    public var id: String
    public var filePath: String?
    public var env: String?

    /// BuildKit refuses secrets over 500 KiB (`secretsprovider.MaxSecretSize`).
    public static let maxSize = 500 * 1024

    public init(parsing text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        var type = "", id = "", source = "", env = ""
        for field in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let eq = field.firstIndex(of: "=") else {
                throw BuildError("invalid field '\(field)' must be a key=value pair")
            }
            let key = field[..<eq].lowercased(), value = String(field[field.index(after: eq)...])
            switch key {
            case "type":
                guard value == "file" || value == "env" else { throw BuildError("unsupported secret type \"\(value)\"") }
                type = value
            case "id": id = value
            case "source", "src": source = value
            case "env": env = value
            default: throw BuildError("unexpected key '\(key)' in '\(field)'")
            }
        }
        if type == "env" && env.isEmpty {
            env = source
            source = ""
        }
        guard !id.isEmpty else { throw BuildError("secret missing ID") }
        if env.isEmpty && source.isEmpty {
            if environment[id] != nil { env = id } else { source = id }
        }
        self.id = id
        self.filePath = source.isEmpty ? nil : source
        self.env = env.isEmpty ? nil : env
    }

    /// The secret's bytes: the file's content or the variable's value.
    public func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [UInt8] {
        if let env {
            guard let value = environment[env] else { throw BuildError("secret \(id): environment variable \(env) is not set") }
            return Array(value.utf8)
        }
        let path = filePath ?? id
        var info = stat()
        guard stat(path, &info) == 0 else { throw BuildError("failed to stat \(path): \(String(cString: strerror(errno)))") }
        guard info.st_size <= SecretSpec.maxSize else { throw BuildError("secret \(id) too big. max size 500KB") }
        guard let data = FileManager.default.contents(atPath: path) else { throw BuildError("failed to read secret \(id) from \(path)") }
        return Array(data)
    }
}

/// `kiln build --ssh ID[=SOCKET|KEY[,KEY…]]` (buildx `parseSSH`): `default` alone means
/// `$SSH_AUTH_SOCK`.
public struct SSHSpec: Sendable, Equatable {
    public var id: String
    /// A single agent socket, or private key files (loaded into an agent kiln starts).
    public var paths: [String]

    public init(parsing text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        id = String(parts[0])
        guard !id.isEmpty else { throw BuildError("invalid --ssh value \"\(text)\": missing id") }
        paths = parts.count > 1 ? parts[1].split(separator: ",").map(String.init) : []
        if paths.isEmpty {
            guard let socket = environment["SSH_AUTH_SOCK"], !socket.isEmpty else {
                throw BuildError("invalid empty ssh agent socket: make sure SSH_AUTH_SOCK is set")
            }
            paths = [socket]
        }
    }
}

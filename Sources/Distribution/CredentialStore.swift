import Foundation

/// A user name and password (or token) for one registry.
public struct RegistryCredentials: Sendable, Hashable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// The value of a `Basic` Authorization header.
    public var basicAuthorization: String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }
}

/// Credentials as `docker login` stores them: `$DOCKER_CONFIG/config.json` (default `~/.docker`).
///
/// Lookup order for a registry host: `credHelpers[key]`, then `credsStore`, then `auths[key]`
/// (base64 `auth` or `username`/`password`). Keys are matched after normalising both sides to
/// `host[:port]` (so `https://host/v1/` matches `host`); Docker Hub's hosts (`docker.io`,
/// `index.docker.io`, `registry-1.docker.io`) use the key `https://index.docker.io/v1/`.
/// A helper program is used only when `docker-credential-<name>` is on `PATH`. Never throws for
/// a missing file: no file means anonymous.
public struct CredentialStore: Sendable {
    /// The parsed `config.json` fields this type uses.
    public struct ConfigFile: Sendable, Decodable, Equatable {
        public struct AuthEntry: Sendable, Decodable, Equatable {
            public var auth: String?
            public var username: String?
            public var password: String?
            public var identitytoken: String?
        }

        public var auths: [String: AuthEntry]?
        public var credHelpers: [String: String]?
        public var credsStore: String?

        public init(auths: [String: AuthEntry]? = nil, credHelpers: [String: String]? = nil, credsStore: String? = nil) {
            self.auths = auths
            self.credHelpers = credHelpers
            self.credsStore = credsStore
        }
    }

    public let config: ConfigFile
    /// Directories searched for `docker-credential-*` programs.
    let searchPath: [String]

    /// Reads `config.json` from `directory`, or from `$DOCKER_CONFIG`, or `~/.docker`.
    /// Throws ``RegistryError`` (`configuration`) when the file exists but is not valid JSON.
    public init(directory: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let dir = directory ?? environment["DOCKER_CONFIG"] ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.docker")
        let path = dir + "/config.json"
        searchPath = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
        guard let data = FileManager.default.contents(atPath: path) else {
            config = ConfigFile()
            return
        }
        do {
            config = try JSONDecoder().decode(ConfigFile.self, from: data)
        } catch {
            throw RegistryError(.configuration, "cannot read \(path): \(error); fix or remove the file")
        }
    }

    /// A store over an already parsed config (tests, embedding).
    public init(config: ConfigFile, searchPath: [String] = []) {
        self.config = config
        self.searchPath = searchPath
    }

    /// The key Docker uses in `config.json` for a registry host.
    public static func configKey(forHost host: String) -> String {
        isDockerHub(host) ? "https://index.docker.io/v1/" : host
    }

    static func isDockerHub(_ host: String) -> Bool {
        ["docker.io", "index.docker.io", "registry-1.docker.io"].contains(host)
    }

    /// `https://host:port/v1/` → `host:port`; Docker Hub hosts all normalise to `index.docker.io`.
    static func normalise(_ key: String) -> String {
        var text = Substring(key)
        if let range = text.range(of: "://") { text = text[range.upperBound...] }
        if let slash = text.firstIndex(of: "/") { text = text[..<slash] }
        let host = text.lowercased()
        return isDockerHub(host) ? "index.docker.io" : host
    }

    /// Credentials for `host` (`host[:port]` as in ``ImageSpec/ImageReference/registryHost``), or nil for anonymous.
    public func credentials(forHost host: String) throws -> RegistryCredentials? {
        let wanted = Self.normalise(host)
        if let helper = config.credHelpers?.first(where: { Self.normalise($0.key) == wanted })?.value {
            return try helperCredentials(helper, host: host)
        }
        if let store = config.credsStore, !store.isEmpty, let found = try helperCredentials(store, host: host) {
            return found
        }
        guard let entry = config.auths?.first(where: { Self.normalise($0.key) == wanted })?.value else { return nil }
        return try Self.decode(entry, host: host)
    }

    static func decode(_ entry: ConfigFile.AuthEntry, host: String) throws -> RegistryCredentials? {
        if let auth = entry.auth, !auth.isEmpty {
            guard let data = Data(base64Encoded: auth), let text = String(data: data, encoding: .utf8),
                  let colon = text.firstIndex(of: ":") else {
                throw RegistryError(.configuration, "the docker config entry for \(host) has an invalid `auth` value; run `docker login \(host)` again")
            }
            return RegistryCredentials(username: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
        }
        if let username = entry.username, let password = entry.password {
            return RegistryCredentials(username: username, password: password)
        }
        return nil
    }

    /// Runs `docker-credential-<name> get` with the server on stdin. Nil when the program is
    /// missing or says the credentials are not found.
    func helperCredentials(_ name: String, host: String) throws -> RegistryCredentials? {
        let program = "docker-credential-" + name
        guard let executable = searchPath.map({ $0 + "/" + program }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            return nil
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["get"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            throw RegistryError(.configuration, "cannot run \(program): \(error)")
        }
        let server = Self.isDockerHub(host) ? Self.configKey(forHost: host) : host
        input.fileHandleForWriting.write(Data(server.utf8))
        try? input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }  // "credentials not found in native keychain"
        struct Reply: Decodable {
            var Username: String
            var Secret: String
        }
        guard let reply = try? JSONDecoder().decode(Reply.self, from: data) else {
            throw RegistryError(.configuration, "\(program) returned output that is not credentials JSON")
        }
        return RegistryCredentials(username: reply.Username, password: reply.Secret)
    }
}

extension CredentialStore.ConfigFile.AuthEntry {
    public init(auth: String? = nil, username: String? = nil, password: String? = nil) {
        self.auth = auth
        self.username = username
        self.password = password
        self.identitytoken = nil
    }
}

import ArgumentParser
import Distribution
import Foundation
import ImageSpec

/// `kiln login [-u USER] [-p PASSWORD | --password-stdin] [SERVER]`, as `docker login`: checks the
/// credentials against the registry, then stores them in `config.json`.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "login", abstract: "Log in to a registry")

    @Option(name: .shortAndLong, help: "Username")
    var username: String?

    @Option(name: .shortAndLong, help: "Password")
    var password: String?

    @Flag(name: .customLong("password-stdin"), help: "Take the password from stdin")
    var passwordStdin = false

    @Argument(help: "The registry (default: Docker Hub)")
    var server: String?

    func run() async throws {
        let host = registryHost(fromServer: server ?? "docker.io")
        let key = CredentialStore.configKey(forHost: host)
        if password != nil && passwordStdin {
            printError("Error: --password and --password-stdin are mutually exclusive")
            throw ExitCode(1)
        }
        var user = username
        var secret = password
        if password != nil { printError("WARNING! Using --password via the CLI is insecure. Use --password-stdin.") }
        if passwordStdin {
            guard user != nil else {
                printError("Error: Must provide --username with --password-stdin")
                throw ExitCode(1)
            }
            var text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            secret = text
        }
        if user == nil {
            FileHandle.standardOutput.write(Data("Username: ".utf8))
            user = readLine()?.trimmingCharacters(in: .whitespaces)
        }
        if secret == nil, let entered = getpass("Password: ") { secret = String(cString: entered) }
        guard let user, !user.isEmpty, let secret, !secret.isEmpty else {
            printError("Error: Non-null Username Required")
            throw ExitCode(1)
        }
        let credentials = CredentialStore(config: .init(auths: [key: .init(username: user, password: secret)]))
        let client = RegistryClient(configuration: .init(credentials: credentials))
        do {
            try await client.ping(host: host)
            try? await client.shutdown()
        } catch {
            try? await client.shutdown()
            printError("kiln: error: login attempt to \(host) failed: \(error)")
            throw ExitCode(1)
        }
        let file = DockerConfigFile()
        do {
            var document = try file.read()
            var auths = file.auths(document)
            auths[key] = .object(["auth": .string(Data("\(user):\(secret)".utf8).base64EncodedString())])
            document["auths"] = .object(auths)
            try file.write(document)
        } catch {
            printError("Error: cannot save the credentials to \(file.path): \(error)")
            throw ExitCode(1)
        }
        printError("WARNING! Your password will be stored unencrypted in \(file.path).\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/engine/reference/commandline/login/#credential-stores\n")
        printOut("Login Succeeded")
    }
}

/// `kiln logout [SERVER]`, as `docker logout`.
struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "Log out from a registry")

    @Argument(help: "The registry (default: Docker Hub)")
    var server: String?

    func run() async throws {
        let host = registryHost(fromServer: server ?? "docker.io")
        let key = CredentialStore.configKey(forHost: host)
        let file = DockerConfigFile()
        do {
            var document = try file.read()
            var auths = file.auths(document)
            let present = auths.keys.filter { registryHost(fromServer: $0) == host || $0 == key }
            guard !present.isEmpty else {
                printOut("Not logged in to \(key)")
                return
            }
            printOut("Removing login credentials for \(key)")
            for name in present { auths[name] = nil }
            document["auths"] = .object(auths)
            try file.write(document)
        } catch {
            printError("Error: cannot update \(file.path): \(error)")
            throw ExitCode(1)
        }
    }
}

import XCTest
@testable import Distribution

final class CredentialStoreTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-dockercfg-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func write(_ json: String) {
        _ = FileManager.default.createFile(atPath: dir + "/config.json", contents: Data(json.utf8))
    }

    func testAuthsWithBase64AndUsernamePassword() throws {
        let hub = Data("hubuser:hub:pass".utf8).base64EncodedString()
        write(#"""
        {"auths": {
          "https://index.docker.io/v1/": {"auth": "\#(hub)"},
          "127.0.0.1:5056": {"username": "user", "password": "pass"},
          "https://ghcr.io": {"auth": "\#(Data("g:h".utf8).base64EncodedString())"}
        }, "HttpHeaders": {"X": "y"}}
        """#)
        let store = try CredentialStore(directory: dir, environment: ["PATH": ""])
        XCTAssertEqual(try store.credentials(forHost: "registry-1.docker.io"), RegistryCredentials(username: "hubuser", password: "hub:pass"))
        XCTAssertEqual(try store.credentials(forHost: "docker.io"), RegistryCredentials(username: "hubuser", password: "hub:pass"))
        XCTAssertEqual(try store.credentials(forHost: "127.0.0.1:5056"), RegistryCredentials(username: "user", password: "pass"))
        XCTAssertEqual(try store.credentials(forHost: "ghcr.io"), RegistryCredentials(username: "g", password: "h"))
        XCTAssertNil(try store.credentials(forHost: "127.0.0.1:5055"))
        XCTAssertEqual(RegistryCredentials(username: "user", password: "pass").basicAuthorization, "Basic dXNlcjpwYXNz")
    }

    func testDockerConfigEnvironmentAndMissingFile() throws {
        write(#"{"auths": {"h:1": {"username": "u", "password": "p"}}}"#)
        let store = try CredentialStore(environment: ["DOCKER_CONFIG": dir, "PATH": ""])
        XCTAssertEqual(try store.credentials(forHost: "h:1")?.username, "u")
        let empty = try CredentialStore(environment: ["DOCKER_CONFIG": dir + "/nowhere", "PATH": ""])
        XCTAssertNil(try empty.credentials(forHost: "h:1"))
    }

    func testInvalidFilesAndEntries() throws {
        write("{not json")
        XCTAssertThrowsError(try CredentialStore(directory: dir, environment: [:]))
        write(#"{"auths": {"h": {"auth": "bm9jb2xvbg=="}}}"#)  // "nocolon"
        let store = try CredentialStore(directory: dir, environment: ["PATH": ""])
        XCTAssertThrowsError(try store.credentials(forHost: "h"))
    }

    func testCredentialHelperIsRunWhenPresent() throws {
        let bin = dir + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let script = """
        #!/bin/sh
        read server
        [ "$1" = get ] || exit 1
        [ "$server" = "helped.example" ] || { echo "credentials not found"; exit 1; }
        printf '{"ServerURL":"%s","Username":"hu","Secret":"hs"}' "$server"
        """
        _ = FileManager.default.createFile(atPath: bin + "/docker-credential-fake", contents: Data(script.utf8), attributes: [.posixPermissions: 0o755])
        write(#"{"credHelpers": {"helped.example": "fake", "absent.example": "missing"}, "credsStore": "fake", "auths": {"other.example": {"username": "o", "password": "p"}}}"#)
        let store = try CredentialStore(directory: dir, environment: ["PATH": bin])
        XCTAssertEqual(try store.credentials(forHost: "helped.example"), RegistryCredentials(username: "hu", password: "hs"))
        XCTAssertNil(try store.credentials(forHost: "absent.example"))
        // credsStore says "not found" for this host: fall back to auths.
        XCTAssertEqual(try store.credentials(forHost: "other.example")?.username, "o")
    }
}

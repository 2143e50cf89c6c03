import XCTest
import TestVectors

/// `kiln check` end to end: the built binary on temporary build contexts.
final class CheckCommandTests: XCTestCase {
    var context: URL!

    override func setUpWithError() throws {
        context = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: context, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: context)
    }

    func write(_ path: String, _ text: String) throws {
        let url = context.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func check(_ arguments: [String] = []) throws -> KilnProcess.Result {
        try KilnProcess.run(["check"] + arguments + [context.path])
    }

    func jsonFindings(_ arguments: [String] = []) throws -> [[String: Any]] {
        let result = try check(["--format", "json"] + arguments)
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
        return try XCTUnwrap(parsed, result.stdout + result.stderr)
    }

    /// The tutorial's NGINX Dockerfile: runs as root and copies the context without a .dockerignore.
    func testTutorialNginxDockerfile() throws {
        let example = Vectors.repositoryRoot.appendingPathComponent("examples/hello")
        for name in ["Dockerfile", "default.conf", "index.html"] {
            try write(name, String(decoding: try Data(contentsOf: example.appendingPathComponent(name)), as: UTF8.self))
        }
        let result = try check()
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("Dockerfile:2:1: warning: RootUser:"), result.stdout)
        XCTAssertTrue(result.stdout.contains("Dockerfile:7:1: warning: MissingDockerignore:"), result.stdout)
        XCTAssertTrue(result.stdout.contains(" 7 | COPY . /var/www/html"), result.stdout)
        XCTAssertTrue(result.stdout.contains("= help: "), result.stdout)
        XCTAssertTrue(result.stdout.contains("warnings found"), result.stdout)
        let rules = try jsonFindings().compactMap { $0["rule"] as? String }
        XCTAssertTrue(rules.contains("RootUser") && rules.contains("MissingDockerignore"), "\(rules)")
    }

    /// The same server with the advice applied passes without findings.
    func testHardenedExampleIsClean() throws {
        let example = Vectors.repositoryRoot.appendingPathComponent("examples/hello-hardened")
        let result = try KilnProcess.run(["check", "--fail-on-warnings", example.path])
        XCTAssertEqual(result.status, 0, result.stdout)
        XCTAssertEqual(result.stdout, "")
    }

    func testSecretFilesAreNamedWithTheCopy() throws {
        try write("Dockerfile", "FROM alpine:3.20\nRUN adduser -D app\nCOPY . /app\nUSER app\n")
        try write(".env", "TOKEN=x\n")
        try write("deploy.pem", "key\n")
        try write("app.sh", "echo hi\n")
        let result = try check()
        XCTAssertTrue(result.stdout.contains("COPY on line 3 would copy '.env' (environment file) into the image"), result.stdout)
        XCTAssertTrue(result.stdout.contains("COPY on line 3 would copy 'deploy.pem'"), result.stdout)
        XCTAssertTrue(result.stdout.contains("Dockerfile:3:1: warning: SecretFileInContext:"), result.stdout)
    }

    func testDockerignoreSilencesSecretFiles() throws {
        try write("Dockerfile", "FROM alpine:3.20\nRUN adduser -D app\nCOPY . /app\nUSER app\n")
        try write(".env", "TOKEN=x\n")
        try write("deploy.pem", "key\n")
        try write(".dockerignore", ".env\n*.pem\n")
        let findings = try jsonFindings()
        XCTAssertFalse(findings.contains { ($0["rule"] as? String) == "SecretFileInContext" }, "\(findings)")
        XCTAssertFalse(findings.contains { ($0["rule"] as? String) == "MissingDockerignore" }, "\(findings)")
    }

    func testCleanDockerfilePrintsNothingAndEmptyJSON() throws {
        try write("Dockerfile", "FROM alpine:3.20\nRUN adduser -D app\nCOPY app.sh /app/\nUSER app\nCMD [\"/app/app.sh\"]\n")
        try write("app.sh", "echo hi\n")
        let text = try check(["--fail-on-warnings"])
        XCTAssertEqual(text.status, 0, text.stdout + text.stderr)
        XCTAssertEqual(text.stdout, "")
        let json = try check(["--format", "json"])
        XCTAssertEqual(json.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "[]")
    }

    func testJSONFields() throws {
        try write("Dockerfile", "FROM alpine:3.20 AS Builder\nUSER app\n")
        let findings = try jsonFindings()
        let finding = try XCTUnwrap(findings.first { ($0["rule"] as? String) == "StageNameCasing" })
        XCTAssertEqual(finding["severity"] as? String, "warning")
        XCTAssertEqual(finding["message"] as? String, "Stage name 'Builder' should be lowercase")
        XCTAssertEqual(finding["line"] as? Int, 1)
        XCTAssertEqual(finding["column"] as? Int, 1)
        XCTAssertEqual(finding["endLine"] as? Int, 1)
        XCTAssertEqual(finding["url"] as? String, "https://docs.docker.com/go/dockerfile/rule/stage-name-casing/")
        XCTAssertNotNil(finding["help"] as? String)
        XCTAssertTrue((finding["file"] as? String)?.hasSuffix("Dockerfile") ?? false)
    }

    func testFailOnWarningsAndErrorDirective() throws {
        try write("Dockerfile", "FROM alpine:3.20\nUSER app\nCMD echo hi\n")
        XCTAssertEqual(try check().status, 0)
        XCTAssertEqual(try check(["--fail-on-warnings"]).status, 1)
        // The README's spelling.
        XCTAssertEqual(try check(["--fail"]).status, 1)
        XCTAssertEqual(try check(["-W"]).status, 1)
        try write("Dockerfile", "# check=error=true\nFROM alpine:3.20\nUSER app\nCMD echo hi\n")
        let result = try check()
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stdout.contains("error: JSONArgsRecommended:"), result.stdout)
    }

    func testSkipDirective() throws {
        try write("Dockerfile", "# check=skip=JSONArgsRecommended,RootUser\nFROM alpine:3.20\nCMD echo hi\n")
        XCTAssertEqual(try jsonFindings().count, 0)
    }

    func testParseErrorIsLocatedAndFails() throws {
        try write("Dockerfile", "FROM alpine:3.20\nRUNN echo hi\n")
        let result = try check()
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("Dockerfile:2:1: error: unknown instruction: RUNN"), result.stderr)
    }

    func testBadCheckDirectiveIsLocatedAndFails() throws {
        try write("Dockerfile", "# check=skip=RootUser;bogus=1\nFROM alpine:3.20\n")
        let result = try check()
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("Dockerfile:1:1: error: invalid check option \"bogus\""), result.stderr)
    }

    func testSecretValuesAreNeverPrinted() throws {
        let token = "ghp_" + String(repeating: "Zq8Wm3Kx", count: 5)
        try write("Dockerfile", "FROM alpine:3.20\nUSER app\nENV GITHUB=\(token)\n")
        let text = try check()
        XCTAssertTrue(text.stdout.contains("SecretInDockerfile"), text.stdout)
        XCTAssertFalse(text.stdout.contains("Zq8Wm3Kx"), text.stdout)
        let json = try check(["--format", "json"])
        XCTAssertFalse(json.stdout.contains("Zq8Wm3Kx"), json.stdout)
    }

    func testDockerfileOption() throws {
        try write("build/App.Dockerfile", "FROM alpine:3.20\nUSER app\nCOPY . /app\n")
        try write("build/App.Dockerfile.dockerignore", ".git\n")
        let result = try check(["-f", context.appendingPathComponent("build/App.Dockerfile").path, "--format", "json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertFalse(result.stdout.contains("MissingDockerignore"), result.stdout)
    }
}

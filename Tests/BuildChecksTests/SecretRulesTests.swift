import XCTest
@testable import BuildChecks

final class SecretRulesTests: LintTestCase {
    func testSecretsUsedInArgOrEnv() throws {
        XCTAssertEqual(try messages("SecretsUsedInArgOrEnv", "FROM alpine\nENV AWS_SECRET=x\nARG GITHUB_TOKEN\nARG apikey=1\n"), [
            "Do not use ARG or ENV instructions for sensitive data (ENV \"AWS_SECRET\")",
            "Do not use ARG or ENV instructions for sensitive data (ARG \"GITHUB_TOKEN\")",
            "Do not use ARG or ENV instructions for sensitive data (ARG \"apikey\")",
        ])
        XCTAssertEqual(try messages("SecretsUsedInArgOrEnv", "FROM alpine\nENV PUBLIC_KEY=x KEY_FILE=/k TOKEN_VERSION=2 MONKEY=1 PASSWORDS=x\n"), [])
    }

    func testSecretInDockerfileMasksTheValue() throws {
        let token = "ghp_" + String(repeating: "aB3dE5gH7j", count: 4)
        let df = "FROM alpine\nENV GH=\(token)\nRUN export DB_PASSWORD=Xk9#qL2$mZ7!vR4w && ./run\n"
        let findings = try run("SecretInDockerfile", df)
        XCTAssertEqual(findings.map(\.message), ["Possible GitHub token 'ghp_…' written in the Dockerfile (value masked)"])
        XCTAssertEqual(findings.first?.range?.start.column, 8)
        let literal = "FROM alpine\nRUN export DB_PASSWORD=Xk9qL2mZ7vR4wQ && ./run\n"
        let hits = try run("SecretInDockerfile", literal)
        XCTAssertEqual(hits.map(\.message), ["Possible value of DB_PASSWORD '…' written in the Dockerfile (value masked)"])
        for finding in findings + hits {
            XCTAssertFalse(finding.message.contains("aB3dE5") || finding.message.contains("Xk9qL2"))
            XCTAssertFalse((finding.help ?? "").contains("Xk9qL2"))
        }
    }

    func testSecretInDockerfileIgnoresVariablesAndPlainWords() throws {
        let df = """
            FROM alpine
            ARG NPM_TOKEN
            ENV PASSWORD=$DB_PASSWORD
            RUN --mount=type=secret,id=token TOKEN=$(cat /run/secrets/token) ./login
            ENV PASSWORD_FILE=/run/secrets/db_password_file_xyz
            LABEL description="uses a token"

            """
        XCTAssertEqual(try messages("SecretInDockerfile", df), [])
    }

    func testSecretFileInContext() throws {
        let df = "FROM alpine\nCOPY . /app\nCOPY config/ /etc/app/\n"
        let files = [".env", "deploy.pem", "src/main.c", "config/app.key", ".env.example", ".git/HEAD", ".git/config"]
        let findings = try run("SecretFileInContext", df, files: files)
        let messages = findings.map(\.message)
        XCTAssertEqual(messages.count, 5, "\(messages)")
        XCTAssertTrue(messages.contains("COPY on line 2 would copy '.env' (environment file) into the image"))
        XCTAssertTrue(messages.contains("COPY on line 2 would copy 'deploy.pem' (PEM key or certificate) into the image"))
        XCTAssertTrue(messages.contains("COPY on line 2 would copy '.git/' (git repository) into the image"))
        XCTAssertTrue(messages.contains("COPY on line 3 would copy 'config/app.key' (private key) into the image"))
        XCTAssertFalse(messages.contains { $0.contains(".env.example") })
    }

    func testSecretFileInContextNegative() throws {
        let files = [".env", "deploy.pem", "app.py", "requirements.txt"]
        XCTAssertEqual(try messages("SecretFileInContext", "FROM alpine\nCOPY app.py requirements.txt /app/\n", files: files), [])
        XCTAssertEqual(try messages("SecretFileInContext", "FROM alpine AS b\nFROM alpine\nCOPY --from=b . /app\n", files: files), [])
        XCTAssertEqual(try messages("SecretFileInContext", "FROM alpine\nCOPY <<EOF /app/.env\nA=1\nEOF\n", files: files), [])
        // Filtered by .dockerignore: the listing no longer has them.
        XCTAssertEqual(try messages("SecretFileInContext", "FROM alpine\nCOPY . /app\n", files: ["app.py"], ignore: [".env", "*.pem"]), [])
    }

    func testSecretFileMatchingUsesGlobs() throws {
        let files = ["certs/server.pem", "certs/ca.crt", "id_rsa"]
        XCTAssertEqual(try messages("SecretFileInContext", "FROM alpine\nCOPY certs/*.pem /c/\nCOPY id_* /root/.ssh/\n", files: files), [
            "COPY on line 2 would copy 'certs/server.pem' (PEM key or certificate) into the image",
            "COPY on line 3 would copy 'id_rsa' (SSH private key) into the image",
        ])
    }
}

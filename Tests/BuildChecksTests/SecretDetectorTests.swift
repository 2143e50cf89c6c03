import XCTest
import DockerfileSyntax
@testable import BuildChecks

final class SecretDetectorTests: XCTestCase {
    func kinds(_ line: String) -> [String] { SecretDetector.scan(line: line).map(\.kind) }

    func testWellKnownTokens() {
        XCTAssertEqual(kinds("ENV AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE"), ["AWS access key ID"])
        XCTAssertEqual(kinds("RUN echo github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"), ["GitHub token"])
        XCTAssertEqual(kinds("ARG T=glpat-abcdefghij0123456789"), ["GitLab token"])
        XCTAssertEqual(kinds("ENV SLACK=xoxb-1234567890-abcdefghij"), ["Slack token"])
        XCTAssertEqual(kinds("ENV K=sk_live_abcdefghijklmnop1234"), ["Stripe key"])
        XCTAssertEqual(kinds("ENV K=sk-proj-Ab3De5Gh7Jk9Lm1No3Pq5Rs7"), ["API secret key"])
        XCTAssertEqual(kinds("ENV K=AIzaSyA1234567890abcdefghijklmnopqrstuv"), ["Google API key"])
        XCTAssertEqual(kinds("RUN npm config set //registry/:_authToken npm_abcdefghijklmnopqrstuvwxyz0123456789"), ["npm token"])
        XCTAssertEqual(kinds("-----BEGIN OPENSSH PRIVATE KEY-----"), ["private key"])
        XCTAssertEqual(kinds("RUN git clone https://bob:hunter2x@example.com/repo.git"), ["password in URL"])
    }

    func testNotSecrets() {
        XCTAssertEqual(kinds("RUN apk add --no-cache sk-tools task-runner"), [])
        XCTAssertEqual(kinds("ENV PATH=/usr/local/bin:$PATH"), [])
        XCTAssertEqual(kinds("ENV PASSWORD=changeme"), [], "low entropy")
        XCTAssertEqual(kinds("RUN git clone https://$USER:$TOKEN@example.com/repo.git"), [])
        XCTAssertEqual(kinds("RUN echo MAKIAIOSFODNN7EXAMPLE1"), [], "glued to other text")
        XCTAssertEqual(kinds("-----BEGIN PUBLIC KEY-----"), [])
        XCTAssertEqual(kinds("ENV GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D"), [], "public key fingerprint")
        XCTAssertEqual(kinds("LABEL AUTHOR=JohnSmithLongName"), [])
        XCTAssertEqual(kinds("ENV PYTHON_SHA256=6c4b3c1d9f0e8a7b2d5e4f3a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1"), [])
    }

    func testAssignments() {
        XCTAssertEqual(kinds("ENV DB_PASSWORD=Xk9qL2mZ7vR4wQ"), ["value of DB_PASSWORD"])
        XCTAssertEqual(kinds("RUN mysql --password=Xk9qL2mZ7vR4wQ"), ["value of password"])
        XCTAssertEqual(kinds("RUN login --token Xk9qL2mZ7vR4wQ"), ["value of token"])
        XCTAssertEqual(kinds("ENV API_KEY \"Xk9qL2mZ7vR4wQ\""), ["value of API_KEY"])
        let hit = SecretDetector.scan(line: "ENV API_KEY=\"Xk9qL2mZ7vR4wQ\"").first
        XCTAssertEqual(hit?.columns, 14...27)
        XCTAssertEqual(hit?.masked, "…")
    }

    func testEntropy() {
        XCTAssertEqual(SecretDetector.entropy("aaaa".unicodeScalars), 0, accuracy: 1e-9)
        XCTAssertEqual(SecretDetector.entropy("abcd".unicodeScalars), 2, accuracy: 1e-9)
    }

    func testMaskingSource() {
        let source = "FROM a\nENV K=secretvalue\n"
        let range = SourceRange(start: SourceLocation(line: 2, column: 7), end: SourceLocation(line: 2, column: 17))
        XCTAssertEqual(SecretDetector.masking(source, ranges: [range]), "FROM a\nENV K=***********\n")
    }

    func testSecretFileNames() {
        for path in [".env", ".env.production", "prod.env", "a/b/server.key", "id_ed25519", ".aws/credentials", ".docker/config.json",
                     ".kube/config", "kubeconfig-prod", "infra/terraform.tfstate", "credentials.json", "secrets.yaml", "cert.p12", ".npmrc",
                     ".git/HEAD"] {
            XCTAssertNotNil(SecretFiles.kind(of: path), path)
        }
        for path in [".env.example", ".env.sample", ".env.template", "id_rsa.pub", "src/environment.ts", "config.json", "README.md", "keys.go"] {
            XCTAssertNil(SecretFiles.kind(of: path), path)
        }
    }

    func testPasswordSwitchesAndKeyFingerprintsAreNoSecrets() {
        // Issue 16: flags that turn a password off take no value; the next word is another flag or a name.
        for line in ["RUN adduser --disabled-password --no-create-home --gecos '' appuserwithalongname",
                     "RUN adduser -D --disabled-password --home /app/data/files appuser",
                     "RUN useradd --no-password-required-xyz Zq8vLmP3xT9kR2wN",
                     "RUN docker login --password-stdin --username someuser1234 registry.example.com",
                     "RUN key='B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8'; gpg --recv-keys \"$key\""] {
            XCTAssertEqual(SecretDetector.scan(line: line), [], line)
        }
        // A password flag with a value is still one.
        XCTAssertEqual(SecretDetector.scan(line: "RUN mysql --password Zq8vLmP3xT9kR2wN -e 'select 1'").count, 1)
        XCTAssertEqual(SecretDetector.scan(line: "RUN echo --password=Zq8vLmP3xT9kR2wN").count, 1)
    }
}

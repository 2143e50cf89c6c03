import XCTest
@testable import BuildChecks

final class CacheRulesTests: LintTestCase {
    func testWholeContextBeforeInstall() throws {
        let df = "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD [\"node\", \"index.js\"]\n"
        let findings = try run("CacheBustingCopyOrder", df, files: ["package.json", "package-lock.json", "index.js"])
        XCTAssertEqual(findings.map(\.message), ["COPY . . comes before RUN npm ci (line 4): every source change reruns the install"])
        XCTAssertEqual(findings.first?.range?.start.line, 3)
        XCTAssertTrue(findings.first?.help?.contains("`COPY package.json package-lock.json ./`") ?? false, findings.first?.help ?? "")
    }

    func testInstallersAreRecognised() throws {
        for command in ["apt-get install -y curl", "apk add curl", "pip install -r requirements.txt", "yarn", "yarn install --frozen-lockfile",
                        "pnpm i", "go mod download", "cargo build --release", "bundle install", "composer install", "mvn -B package",
                        "./gradlew build", "python3 -m pip install ."] {
            XCTAssertEqual(try lines("CacheBustingCopyOrder", "FROM x:1\nCOPY . /src\nRUN \(command)\n"), [2], command)
        }
    }

    func testManifestDirectoryCopy() throws {
        let df = "FROM python:3.12\nCOPY app/ /app/\nRUN pip install -r /app/requirements.txt\n"
        XCTAssertEqual(try lines("CacheBustingCopyOrder", df, files: ["app/requirements.txt", "app/main.py"]), [2])
        XCTAssertEqual(try lines("CacheBustingCopyOrder", df, files: ["app/main.py"]), [])
    }

    func testGoodOrderIsQuiet() throws {
        let df = """
            FROM node:20
            RUN apt-get update && apt-get install -y curl
            COPY package.json package-lock.json ./
            RUN npm ci
            COPY . .
            RUN npm run build

            """
        XCTAssertEqual(try messages("CacheBustingCopyOrder", df, files: ["package.json", "package-lock.json", "src/a.js"]), [])
        XCTAssertEqual(try messages("CacheBustingCopyOrder", "FROM a:1 AS b\nCOPY . .\nFROM a:1\nRUN npm ci\n"), [], "other stage")
    }
}

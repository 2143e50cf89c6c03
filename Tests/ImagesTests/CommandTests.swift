import Foundation
import ImageSpec
import ImageStore
import Images
import TestVectors
import XCTest

/// The image commands, run as the built `kiln` binary against 127.0.0.1:5102 (open) and 5103 (htpasswd).
final class CommandTests: ImagesTestCase {
    static let host = "127.0.0.1:5102"
    var dockerConfig: String!

    override func setUp() async throws {
        try await super.setUp()
        dockerConfig = root.appendingPathComponent("docker").path
    }

    /// Runs kiln with `--root`-less KILN_ROOT and DOCKER_CONFIG under the test folder.
    @discardableResult
    func kiln(_ arguments: [String], stdin: String? = nil) -> (status: Int32, stdout: String, stderr: String) {
        let errFile = root.appendingPathComponent("stderr-\(UUID())").path
        try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var command = ([KilnProcess.executable.path] + arguments).map(quoted).joined(separator: " ") + " 2>\(quoted(errFile))"
        if let stdin { command = "printf %s \(quoted(stdin)) | " + command }
        let result = shell(command, environment: ["KILN_ROOT": root.appendingPathComponent("store").path, "DOCKER_CONFIG": dockerConfig])
        let stderr = (try? String(contentsOfFile: errFile, encoding: .utf8)) ?? ""
        return (result.status, result.output, stderr)
    }

    func testPullImagesTagHistoryInspectRmi() throws {
        try requireRegistry(5102)
        let pull = kiln(["pull", "\(Self.host)/busybox"])
        XCTAssertEqual(pull.status, 0, pull.stderr)
        XCTAssertTrue(pull.stderr.hasPrefix("Using default tag: latest\nlatest: Pulling from busybox\n"), pull.stderr)
        XCTAssertTrue(pull.stderr.contains(": Pull complete"), pull.stderr)
        let lines = pull.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, pull.stdout)
        XCTAssertTrue(lines[0].hasPrefix("Digest: sha256:"))
        XCTAssertEqual(lines[1], "Status: Downloaded newer image for \(Self.host)/busybox:latest")
        XCTAssertEqual(lines[2], "\(Self.host)/busybox:latest")

        let again = kiln(["pull", "-q", "\(Self.host)/busybox:latest"])
        XCTAssertEqual(again.status, 0)
        XCTAssertEqual(again.stdout, "\(Self.host)/busybox:latest\n")
        XCTAssertEqual(again.stderr, "")
        let upToDate = kiln(["pull", "\(Self.host)/busybox:latest"])
        XCTAssertTrue(upToDate.stdout.contains("Status: Image is up to date for \(Self.host)/busybox:latest"), upToDate.stdout)
        XCTAssertTrue(upToDate.stderr.contains(": Already exists"), upToDate.stderr)

        XCTAssertEqual(kiln(["tag", "\(Self.host)/busybox", "mybox:1"]).status, 0)
        let images = kiln(["images"])
        XCTAssertEqual(images.status, 0, images.stderr)
        let rows = images.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(rows.count, 3, images.stdout)
        XCTAssertTrue(rows[0].hasPrefix("REPOSITORY"))
        XCTAssertTrue(rows[0].contains("TAG       IMAGE ID       CREATED"), rows[0])
        XCTAssertTrue(rows.contains { $0.hasPrefix("mybox ") && $0.contains(" 1 ") }, images.stdout)
        let ids = kiln(["images", "-q"]).stdout.split(separator: "\n")
        XCTAssertEqual(ids.count, 2)
        XCTAssertEqual(ids[0].count, 12)
        let json = kiln(["images", "--format", "json"]).stdout.split(separator: "\n")
        XCTAssertEqual(json.count, 2)
        XCTAssertTrue(json[0].hasPrefix("{\"Containers\":\"N/A\",\"CreatedAt\":"), String(json[0]))

        let history = kiln(["history", "mybox:1"])
        XCTAssertEqual(history.status, 0, history.stderr)
        let historyRows = history.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(historyRows[0].hasPrefix("IMAGE          CREATED"), historyRows[0])
        XCTAssertTrue(historyRows[1].hasPrefix(String(ids[0])), history.stdout)
        XCTAssertTrue(historyRows.dropFirst(2).allSatisfy { $0.hasPrefix("<missing>") }, history.stdout)
        XCTAssertTrue(historyRows[1].contains("   1.99MB    "), history.stdout)
        XCTAssertEqual(kiln(["history", "-q", "mybox:1"]).stdout.split(separator: "\n").first.map(String.init), String(ids[0]))

        let inspect = kiln(["inspect", "mybox:1"])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        let parsed = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [[String: Any]]
        let document = try XCTUnwrap(parsed?.first)
        XCTAssertEqual(document["Id"] as? String, "sha256:" + (try XCTUnwrap(document["Id"] as? String)).dropFirst(7))
        XCTAssertTrue((document["Id"] as? String)?.dropFirst(7).hasPrefix(ids[0]) ?? false)
        XCTAssertEqual(Set(document["RepoTags"] as? [String] ?? []), ["mybox:1", "\(Self.host)/busybox:latest"])
        XCTAssertEqual((document["RepoDigests"] as? [String])?.count, 1)
        XCTAssertEqual(document["Os"] as? String, "linux")
        XCTAssertNotNil((document["RootFS"] as? [String: Any])?["Layers"])
        XCTAssertTrue(inspect.stdout.hasPrefix("[\n    {\n        \"Id\": \"sha256:"), inspect.stdout)
        let missing = kiln(["inspect", "nosuch"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stdout, "[]\n")
        XCTAssertEqual(missing.stderr, "Error: No such object: nosuch\n")  // docker inspect's wording

        let untag = kiln(["rmi", "mybox:1"])
        XCTAssertEqual(untag.stdout, "Untagged: mybox:1\n")
        let delete = kiln(["rmi", "\(Self.host)/busybox"])
        XCTAssertEqual(delete.status, 0, delete.stderr)
        XCTAssertTrue(delete.stdout.hasPrefix("Untagged: \(Self.host)/busybox:latest\nUntagged: \(Self.host)/busybox@sha256:"), delete.stdout)
        XCTAssertTrue(delete.stdout.hasSuffix("Deleted: \(document["Id"] as! String)\n"), delete.stdout)
        XCTAssertEqual(kiln(["images", "-q"]).stdout, "")
        let noSuch = kiln(["rmi", "nosuch"])
        XCTAssertEqual(noSuch.status, 1)
        XCTAssertTrue(noSuch.stderr.contains("No such image: nosuch"), noSuch.stderr)

        let check = kiln(["system", "check"])
        XCTAssertEqual(check.status, 0, check.stdout)
        let df = kiln(["system", "df", "-v"])
        XCTAssertEqual(df.status, 0, df.stderr)
        XCTAssertTrue(df.stdout.hasPrefix("TYPE "), df.stdout)
        XCTAssertEqual(kiln(["prune", "-f"]).status, 0)
    }

    /// Empty layers show `0B`, the top row the image ID, the rest `<missing>`; `--no-trunc` shows full values.
    func testHistoryOfDerivedImage() async throws {
        try requireRegistry(5102)
        let service = try makeService("store")
        let base = try await service.pull(ImageReference(parsing: "\(Self.host)/busybox"), platform: .host)
        let reference = try ImageReference(parsing: "derived:1")
        var image = try await makeDerivedImage(service, base: base, reference: reference, content: String(repeating: "x", count: 3000))
        image.config.history.append(History(created: Timestamp(Date()), createdBy: "CMD [\"sh\" \"-c\" \"echo a very long command line that will be cut\"]", comment: "buildkit.dockerfile.v0", emptyLayer: true))
        let config = try service.store.put(bytes: CanonicalJSON.encode(image.config), mediaType: .ociConfig)
        let manifest = Manifest(config: config, layers: image.manifest.layers)
        try await service.store.tag(reference, service.store.put(bytes: CanonicalJSON.encode(manifest), mediaType: .ociManifest))

        let history = kiln(["history", "derived:1"])
        XCTAssertEqual(history.status, 0, history.stderr)
        let rows = history.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(rows.count, 4, history.stdout)
        XCTAssertTrue(rows[1].hasPrefix(String(config.digest.hex.prefix(12)) + "   Less than a second ago   CMD [\"sh\" \"-c\" \"echo a very long command lin…   0B        buildkit.dockerfile.v0"), history.stdout)
        XCTAssertTrue(rows[2].hasPrefix("<missing>      Less than a second ago   COPY hello.txt / # buildkit "), history.stdout)
        XCTAssertTrue(rows[2].contains("   3kB       buildkit.dockerfile.v0"), history.stdout)
        let full = kiln(["history", "--no-trunc", "derived:1"])
        XCTAssertTrue(full.stdout.contains(config.digest.description), full.stdout)
        XCTAssertTrue(full.stdout.contains("will be cut"), full.stdout)
        let json = kiln(["history", "--format", "json", "derived:1"]).stdout.split(separator: "\n")
        XCTAssertEqual(json.count, 3)
        XCTAssertTrue(json[0].hasPrefix("{\"Comment\":\"buildkit.dockerfile.v0\",\"CreatedAt\":\""), String(json[0]))
        XCTAssertTrue(json[0].hasSuffix(",\"ID\":\"\(config.digest.hex.prefix(12))\",\"Size\":\"0B\"}"), String(json[0]))
    }

    func testPushPrintsDigestLine() throws {
        try requireRegistry(5102)
        XCTAssertEqual(kiln(["pull", "-q", "\(Self.host)/busybox"]).status, 0)
        let target = "\(Self.host)/pushed-\(UUID().uuidString.prefix(6).lowercased()):v2"
        XCTAssertEqual(kiln(["tag", "\(Self.host)/busybox", target]).status, 0)
        let push = kiln(["push", target])
        XCTAssertEqual(push.status, 0, push.stderr)
        XCTAssertTrue(push.stderr.hasPrefix("The push refers to repository [\(target.dropLast(3))]"), push.stderr)
        XCTAssertTrue(push.stderr.contains("Mounted from busybox") || push.stderr.contains("Layer already exists"), push.stderr)
        XCTAssertTrue(push.stdout.hasPrefix("v2: digest: sha256:"), push.stdout)
        XCTAssertTrue(push.stdout.contains(" size: "), push.stdout)
        let missing = kiln(["push", "\(Self.host)/nothere:1"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("An image does not exist locally with the tag: \(Self.host)/nothere"), missing.stderr)
    }

    func testLoginWithHtpasswdRegistry() throws {
        try requireRegistry(5103, htpasswd: "kiln:s3cret", seed: false)
        let server = "127.0.0.1:5103"
        let bad = kiln(["login", "-u", "kiln", "--password-stdin", server], stdin: "wrong\n")
        XCTAssertEqual(bad.status, 1, bad.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dockerConfig + "/config.json"))

        let good = kiln(["login", "-u", "kiln", "--password-stdin", server], stdin: "s3cret\n")
        XCTAssertEqual(good.status, 0, good.stderr)
        XCTAssertEqual(good.stdout, "Login Succeeded\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: dockerConfig + "/config.json")
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        let config = try String(contentsOfFile: dockerConfig + "/config.json", encoding: .utf8)
        XCTAssertTrue(config.contains(Data("kiln:s3cret".utf8).base64EncodedString()), config)

        // Authenticated push and pull through the stored credentials.
        try requireRegistry(5102)
        XCTAssertEqual(kiln(["pull", "-q", "\(Self.host)/busybox"]).status, 0)
        XCTAssertEqual(kiln(["tag", "\(Self.host)/busybox", "\(server)/private:1"]).status, 0)
        let push = kiln(["push", "-q", "\(server)/private:1"])
        XCTAssertEqual(push.status, 0, push.stderr)
        XCTAssertEqual(kiln(["rmi", "\(server)/private:1"]).status, 0)
        let pull = kiln(["pull", "-q", "\(server)/private:1"])
        XCTAssertEqual(pull.status, 0, pull.stderr)

        XCTAssertEqual(kiln(["logout", server]).stdout, "Removing login credentials for \(server)\n")
        XCTAssertEqual(kiln(["logout", server]).stdout, "Not logged in to \(server)\n")
        XCTAssertEqual(kiln(["rmi", "\(server)/private:1"]).status, 0)
        let denied = kiln(["pull", "-q", "\(server)/private:1"])
        XCTAssertEqual(denied.status, 1)
    }
}

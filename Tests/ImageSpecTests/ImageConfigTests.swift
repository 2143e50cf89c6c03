import Foundation
import XCTest
@testable import ImageSpec

final class ImageConfigTests: XCTestCase {
    /// A config as Docker 20.10's classic builder wrote it: legacy fields, nulls, Go field order.
    static let legacyDockerConfig = """
    {"architecture":"amd64","config":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,
    "AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,
    "Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"],"Image":"sha256:\(hex64a)",
    "Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null},
    "container":"3c5b6b9f3a0e","container_config":{"Hostname":"3c5b6b9f3a0e","Cmd":["/bin/sh","-c","#(nop) ","CMD [\\"sh\\"]"]},
    "created":"2023-05-19T20:19:22.751398522Z","docker_version":"20.10.23",
    "history":[{"created":"2023-05-19T20:19:22.642936496Z","created_by":"/bin/sh -c #(nop) ADD file:7e9002ed in / "},
    {"created":"2023-05-19T20:19:22.751398522Z","created_by":"/bin/sh -c #(nop)  CMD [\\"sh\\"]","empty_layer":true}],
    "os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:\(hex64b)"]}}
    """

    func testDecodeLegacyDockerConfig() throws {
        let config = try CanonicalJSON.decode(ImageConfig.self, from: json(Self.legacyDockerConfig))
        XCTAssertEqual(config.platform.description, "linux/amd64")
        XCTAssertEqual(config.created?.text, "2023-05-19T20:19:22.751398522Z")
        XCTAssertEqual(config.config.cmd, ["sh"])
        XCTAssertNil(config.config.entrypoint)
        XCTAssertEqual(config.config.env, ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
        XCTAssertEqual(config.config.volumes, [])
        XCTAssertEqual(config.config.labels, [:])
        XCTAssertEqual(config.config.onBuild, [])
        XCTAssertNil(config.config.user, "an empty string reads as absent")
        XCTAssertEqual(config.config.extraFields["Hostname"], .string(""))
        XCTAssertEqual(config.config.extraFields["Tty"], .bool(false))
        XCTAssertEqual(config.extraFields["docker_version"], .string("20.10.23"))
        XCTAssertNotNil(config.extraFields["container_config"])
        XCTAssertEqual(config.history.count, 2)
        XCTAssertFalse(config.history[0].emptyLayer)
        XCTAssertTrue(config.history[1].emptyLayer)
        XCTAssertEqual(config.rootfs.diffIDs, [sha256b])

        // Re-encoding keeps the unknown fields (values, not bytes) and drops what Docker would omit.
        let encoded = text(try CanonicalJSON.encode(config))
        XCTAssertTrue(encoded.contains(#""container":"3c5b6b9f3a0e""#), encoded)
        XCTAssertTrue(encoded.contains(#""docker_version":"20.10.23""#), encoded)
        XCTAssertTrue(encoded.contains(#""Hostname":"""#), encoded)
        XCTAssertFalse(encoded.contains(#""OnBuild""#), encoded)
        XCTAssertFalse(encoded.contains(#""User""#), encoded)
        XCTAssertEqual(try CanonicalJSON.decode(ImageConfig.self, from: Data(encoded.utf8)), config)
    }

    /// A config as BuildKit writes one, with every modelled field set.
    static let buildKitConfig = """
    {"architecture":"arm64","variant":"v8","os":"linux","author":"kiln <kiln@example.com>",
     "created":"2024-01-22T18:57:46.389264713Z",
     "config":{"User":"app:app","ExposedPorts":{"443/tcp":{},"80/tcp":{}},"Env":["A=1","B=<&>"],
       "Entrypoint":["/bin/tini","--"],"Cmd":["serve"],"Volumes":{"/data":{}},"WorkingDir":"/srv",
       "Labels":{"org.opencontainers.image.source":"https://example.com/x","maintainer":"me"},
       "StopSignal":"SIGTERM","ArgsEscaped":true,
       "Healthcheck":{"Test":["CMD-SHELL","curl -f http://localhost/ || exit 1"],"Interval":30000000000,"Timeout":5000000000,"StartPeriod":1000000000,"StartInterval":2000000000,"Retries":3},
       "OnBuild":["RUN echo hi"],"Shell":["/bin/bash","-c"]},
     "rootfs":{"type":"layers","diff_ids":["sha256:\(hex64a)","sha256:\(hex64b)"]},
     "history":[{"created":"2024-01-22T18:57:46.389264713Z","created_by":"RUN /bin/sh -c make # buildkit","comment":"buildkit.dockerfile.v0"},
                {"created_by":"EXPOSE map[80/tcp:{}]","comment":"buildkit.dockerfile.v0","empty_layer":true,"author":"me"}]}
    """

    func testDecodeBuildKitConfigAndCanonicalBytes() throws {
        let config = try CanonicalJSON.decode(ImageConfig.self, from: json(Self.buildKitConfig))
        let c = config.config
        XCTAssertEqual(config.platform, try Platform(parsing: "linux/arm64/v8"))
        XCTAssertEqual(config.author, "kiln <kiln@example.com>")
        XCTAssertEqual(c.user, "app:app")
        XCTAssertEqual(c.exposedPorts, ["80/tcp", "443/tcp"])
        XCTAssertEqual(c.env, ["A=1", "B=<&>"])
        XCTAssertEqual(c.entrypoint, ["/bin/tini", "--"])
        XCTAssertEqual(c.cmd, ["serve"])
        XCTAssertEqual(c.volumes, ["/data"])
        XCTAssertEqual(c.workingDir, "/srv")
        XCTAssertEqual(c.labels["maintainer"], "me")
        XCTAssertEqual(c.stopSignal, "SIGTERM")
        XCTAssertTrue(c.argsEscaped)
        XCTAssertEqual(c.healthcheck?.test, ["CMD-SHELL", "curl -f http://localhost/ || exit 1"])
        XCTAssertEqual(c.healthcheck?.interval, .seconds(30))
        XCTAssertEqual(c.healthcheck?.timeout, .seconds(5))
        XCTAssertEqual(c.healthcheck?.startPeriod, .seconds(1))
        XCTAssertEqual(c.healthcheck?.startInterval, .seconds(2))
        XCTAssertEqual(c.healthcheck?.retries, 3)
        XCTAssertEqual(c.onBuild, ["RUN echo hi"])
        XCTAssertEqual(c.shell, ["/bin/bash", "-c"])
        XCTAssertEqual(c.extraFields, [:])
        XCTAssertEqual(config.extraFields, [:])
        XCTAssertEqual(config.history[0].comment, "buildkit.dockerfile.v0")
        XCTAssertNil(config.history[1].created)
        XCTAssertEqual(config.history[1].author, "me")

        let expected = #"{"architecture":"arm64","author":"kiln <kiln@example.com>","config":{"ArgsEscaped":true,"Cmd":["serve"],"Entrypoint":["/bin/tini","--"],"Env":["A=1","B=<&>"],"ExposedPorts":{"443/tcp":{},"80/tcp":{}},"Healthcheck":{"Interval":30000000000,"Retries":3,"StartInterval":2000000000,"StartPeriod":1000000000,"Test":["CMD-SHELL","curl -f http://localhost/ || exit 1"],"Timeout":5000000000},"Labels":{"maintainer":"me","org.opencontainers.image.source":"https://example.com/x"},"OnBuild":["RUN echo hi"],"Shell":["/bin/bash","-c"],"StopSignal":"SIGTERM","User":"app:app","Volumes":{"/data":{}},"WorkingDir":"/srv"},"created":"2024-01-22T18:57:46.389264713Z","history":[{"comment":"buildkit.dockerfile.v0","created":"2024-01-22T18:57:46.389264713Z","created_by":"RUN /bin/sh -c make # buildkit"},{"author":"me","comment":"buildkit.dockerfile.v0","created_by":"EXPOSE map[80/tcp:{}]","empty_layer":true}],"os":"linux","rootfs":{"diff_ids":["sha256:\#(hex64a)","sha256:\#(hex64b)"],"type":"layers"},"variant":"v8"}"#
        let encoded = try CanonicalJSON.encode(config)
        XCTAssertEqual(text(encoded), expected)
        XCTAssertEqual(try CanonicalJSON.encode(try CanonicalJSON.decode(ImageConfig.self, from: encoded)), encoded)
    }

    func testMinimalConfigEncoding() throws {
        let config = ImageConfig(platform: try Platform(parsing: "linux/amd64"))
        XCTAssertEqual(text(try CanonicalJSON.encode(config)), #"{"architecture":"amd64","config":{},"os":"linux","rootfs":{"diff_ids":[],"type":"layers"}}"#)
        let emptyish = ContainerConfig(user: "", env: [], entrypoint: [], cmd: [], workingDir: "", stopSignal: "", healthcheck: nil, shell: [])
        XCTAssertEqual(text(try CanonicalJSON.encode(emptyish)), "{}")
        XCTAssertEqual(text(try CanonicalJSON.encode(Healthcheck(test: []))), "{}")
        XCTAssertEqual(text(try CanonicalJSON.encode(History())), "{}")
        XCTAssertEqual(text(try CanonicalJSON.encode(Healthcheck(test: ["NONE"]))), #"{"Test":["NONE"]}"#)
    }

    func testLenientDecoding() throws {
        let config = try CanonicalJSON.decode(ImageConfig.self, from: json(#"{"architecture":"amd64","os":"linux","config":{"Cmd":"echo hi","Entrypoint":null,"Shell":"/bin/sh"},"newTopLevel":[1,2.5,"x",null,{"a":true}]}"#))
        XCTAssertEqual(config.config.cmd, ["echo hi"])
        XCTAssertEqual(config.config.shell, ["/bin/sh"])
        XCTAssertNil(config.config.entrypoint)
        XCTAssertEqual(config.rootfs, RootFS())
        XCTAssertEqual(config.history, [])
        XCTAssertEqual(config.extraFields["newTopLevel"], .array([.integer(1), .double(2.5), .string("x"), .null, .object(["a": .bool(true)])]))
        XCTAssertTrue(text(try CanonicalJSON.encode(config)).contains(#""newTopLevel":[1,2.5,"x",null,{"a":true}]"#))
        let nullConfig = try CanonicalJSON.decode(ImageConfig.self, from: json(#"{"architecture":"amd64","os":"linux","config":null,"history":null}"#))
        XCTAssertEqual(nullConfig.config, ContainerConfig())
    }

    func testConfigRejections() {
        let cases: [(String, ImageSpecError.Code, String)] = [
            (#"{"os":"linux"}"#, .invalidDocument, "no \"architecture\" or \"os\""),
            (#"{"architecture":"amd64"}"#, .invalidDocument, "no \"architecture\" or \"os\""),
            (#"{"architecture":"","os":"linux"}"#, .invalidPlatform, "architecture"),
            (#"{"architecture":"amd64","os":"linux","created":"yesterday"}"#, .invalidTimestamp, "at created"),
            (#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:x"]}}"#, .invalidDigest, "at rootfs.diff_ids[0]"),
            (#"{"architecture":"amd64","os":"linux","config":{"Env":"A=1","Cmd":5}}"#, .invalidDocument, "config.Cmd"),
            (#"{"architecture":"amd64","os":"linux","config":{"Healthcheck":{"Interval":"30s"}}}"#, .invalidDocument, "Interval"),
            (#"{"architecture":"amd64","os":"linux","history":[{"empty_layer":"yes"}]}"#, .invalidDocument, "history[0].empty_layer"),
        ]
        for (source, code, fragment) in cases {
            assertImageSpecError(code, fragment, source) { try CanonicalJSON.decode(ImageConfig.self, from: json(source)) }
        }
    }

    func testHealthcheckDurationsAreNanoseconds() throws {
        let check = Healthcheck(test: ["CMD", "true"], interval: .milliseconds(1500), timeout: .nanoseconds(1), retries: 2)
        XCTAssertEqual(text(try CanonicalJSON.encode(check)), #"{"Interval":1500000000,"Retries":2,"Test":["CMD","true"],"Timeout":1}"#)
        XCTAssertEqual(try CanonicalJSON.decode(Healthcheck.self, from: try CanonicalJSON.encode(check)), check)
        XCTAssertEqual(Healthcheck.nanoseconds(.seconds(Int64.max)), Int64.max)
        XCTAssertEqual(Healthcheck.nanoseconds(.seconds(-3)), -3_000_000_000)
    }

    func testExtraFieldsNeverShadowModelledKeys() throws {
        var config = ImageConfig(platform: try Platform(parsing: "linux/amd64"))
        config.extraFields = ["os": .string("windows"), "x": .integer(1)]
        config.config.extraFields = ["Cmd": .string("bogus")]
        config.config.cmd = ["sh"]
        XCTAssertEqual(
            text(try CanonicalJSON.encode(config)),
            #"{"architecture":"amd64","config":{"Cmd":["sh"]},"os":"linux","rootfs":{"diff_ids":[],"type":"layers"},"x":1}"#
        )
    }
}

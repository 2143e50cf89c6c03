import ShellWords
import XCTest
@testable import DockerfileSyntax

/// ARG/ENV scoping as FEATURES.md §9 describes BuildKit's behaviour.
final class VariableScopeTests: XCTestCase {
    func testAutomaticPlatformArgs() {
        let args = Dictionary(uniqueKeysWithValues: PlatformArgs(target: "linux/arm/v7", build: "linux/amd64").values)
        XCTAssertEqual(args["TARGETPLATFORM"], "linux/arm/v7")
        XCTAssertEqual(args["TARGETARCH"], "arm")
        XCTAssertEqual(args["TARGETVARIANT"], "v7")
        XCTAssertEqual(args["BUILDPLATFORM"], "linux/amd64")
        XCTAssertEqual(args["BUILDVARIANT"], "")
        XCTAssertEqual(args["TARGETSTAGE"], "default")
    }

    func testGlobalArgsDefaultsAndBuildArgs() throws {
        var global = GlobalScope(buildArgs: ["TAG": "1.36"], platform: PlatformArgs(target: "linux/amd64"))
        try global.declare([ArgDeclaration(key: "BASE", value: "busybox"), ArgDeclaration(key: "TAG", value: "latest")])
        try global.declare([ArgDeclaration(key: "IMAGE", value: "${BASE}:${TAG}-$TARGETARCH")])
        XCTAssertEqual(global.value(of: "IMAGE"), "busybox:1.36-amd64")
        XCTAssertEqual(global.value(of: "TARGETOS"), "linux")
    }

    func testGlobalArgInvisibleInStageUntilRedeclared() throws {
        var global = GlobalScope()
        try global.declare([ArgDeclaration(key: "VERSION", value: "1.0")])
        var stage = StageScope(global: global)
        XCTAssertEqual(try stage.expand("v=$VERSION"), "v=")
        XCTAssertFalse(stage.isDeclared("VERSION"))
        try stage.declare([ArgDeclaration(key: "VERSION")])
        XCTAssertEqual(try stage.expand("v=$VERSION"), "v=1.0")
        XCTAssertTrue(stage.isDeclared("VERSION"))
    }

    func testStageArgPriority() throws {
        var global = GlobalScope(buildArgs: ["A": "from-build"])
        try global.declare([ArgDeclaration(key: "B", value: "global-b")])
        var stage = StageScope(global: global)
        try stage.declare([ArgDeclaration(key: "A", value: "default-a"), ArgDeclaration(key: "B", value: "default-b"), ArgDeclaration(key: "C")])
        XCTAssertEqual(stage.environment["A"], "from-build")
        XCTAssertEqual(stage.environment["B"], "default-b")
        XCTAssertNil(stage.environment["C"])
        XCTAssertTrue(stage.isDeclared("C"))
    }

    func testEnvOverridesArgAndValuesSeeThePreviousLine() throws {
        var stage = StageScope(global: GlobalScope())
        try stage.declare([ArgDeclaration(key: "X", value: "arg")])
        try stage.setEnv([("abc", "hi")])
        try stage.setEnv([("abc", "bye"), ("def", "$abc"), ("X", "env")])
        XCTAssertEqual(stage.environment["def"], "hi")
        XCTAssertEqual(stage.environment["abc"], "bye")
        XCTAssertEqual(stage.environment["X"], "env")
        XCTAssertEqual(stage.runEnvironment, ["abc=bye", "def=hi", "X=env"])
    }

    func testRunEnvironmentHasArgsAndUndeclaredProxyArgs() throws {
        var stage = StageScope(global: GlobalScope(buildArgs: ["HTTP_PROXY": "http://proxy:3128", "OTHER": "x"]), baseEnv: [("PATH", "/bin")])
        try stage.declare([ArgDeclaration(key: "V", value: "1")])
        XCTAssertEqual(stage.runEnvironment, ["PATH=/bin", "V=1", "HTTP_PROXY=http://proxy:3128"])
    }

    func testArgDefaultUsesEnv() throws {
        var stage = StageScope(global: GlobalScope(), baseEnv: [("HOME", "/root")])
        try stage.declare([ArgDeclaration(key: "CACHE", value: "${HOME}/.cache")])
        XCTAssertEqual(stage.environment["CACHE"], "/root/.cache")
    }
}

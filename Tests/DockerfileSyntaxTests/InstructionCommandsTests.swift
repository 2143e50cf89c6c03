import XCTest
@testable import DockerfileSyntax

final class InstructionCommandsTests: XCTestCase {
    func testUnknownInstructionSuggestsKeyword() {
        let upper = assertInstructionError("RUNN echo", "unknown instruction: RUNN")
        XCTAssertEqual(upper?.suggestion, "did you mean RUN?")
        XCTAssertEqual(upper?.range, SourceRange(start: SourceLocation(line: 1, column: 1), end: SourceLocation(line: 1, column: 4)))
        XCTAssertEqual(assertInstructionError("copyy a b", "unknown instruction: copyy")?.suggestion, "did you mean copy?")
        XCTAssertNil(assertInstructionError("XYZZYQ a", "unknown instruction: XYZZYQ")?.suggestion)
    }

    func testKeywordsAreCaseInsensitive() {
        guard case .workdir(let w)? = instruction("wOrKdIr /app") else { return XCTFail() }
        XCTAssertEqual(w.path, "/app")
    }

    func testFrom() {
        guard case .from(let f)? = instruction("FROM --platform=$BUILDPLATFORM golang:1.22 As Build") else { return XCTFail() }
        XCTAssertEqual(f.baseName, "golang:1.22")
        XCTAssertEqual(f.stageName, "build")
        XCTAssertEqual(f.stageNameAsWritten, "Build")
        XCTAssertEqual(f.asKeyword, "As")
        XCTAssertEqual(f.platform, "$BUILDPLATFORM")
        guard case .from(let plain)? = instruction("FROM scratch") else { return XCTFail() }
        XCTAssertNil(plain.stageName)
        XCTAssertNil(plain.platform)
        assertInstructionError("FROM a b", "FROM requires either one or three arguments")
        assertInstructionError("FROM a AS", "FROM requires either one or three arguments")
        assertInstructionError("FROM a BS b", "FROM requires either one or three arguments")
        assertInstructionError("FROM", "FROM requires either one or three arguments")
        assertInstructionError("FROM a AS 1st",
            "invalid name for build stage: \"1st\", name can't start with a number or contain symbols")
        assertInstructionError("FROM a AS b$c",
            "invalid name for build stage: \"b$c\", name can't start with a number or contain symbols")
        XCTAssertNotNil(instruction("FROM a AS b-c_d.e9"))
    }

    func testRunForms() {
        guard case .run(let shell)? = instruction("RUN echo  hi") else { return XCTFail() }
        XCTAssertEqual(shell.command.arguments, ["echo  hi"])
        XCTAssertTrue(shell.command.prependShell)
        XCTAssertEqual(shell.network, .default)
        XCTAssertEqual(shell.security, .sandbox)
        guard case .run(let exec)? = instruction("RUN [\"a\", \"b c\"]") else { return XCTFail() }
        XCTAssertEqual(exec.command.arguments, ["a", "b c"])
        XCTAssertTrue(exec.command.isExecForm)
        guard case .run(let flags)? = instruction("RUN --network=none --security=insecure true") else { return XCTFail() }
        XCTAssertEqual(flags.network, .none)
        XCTAssertEqual(flags.security, .insecure)
        XCTAssertEqual(flags.flagsUsed, ["network", "security"])
        assertInstructionError("RUN --network=bridge true", "invalid network mode \"bridge\"")
        assertInstructionError("RUN --security=x true", "security \"x\" is not valid")
    }

    func testRunHeredocFiles() {
        guard case .run(let run)? = instruction("RUN <<A cat - <<-B\na\nA\n\tb\nB\n") else { return XCTFail() }
        XCTAssertEqual(run.command.files, [
            ShellInlineFile(name: "A", data: "a\n", chomp: false), ShellInlineFile(name: "B", data: "\tb\n", chomp: true),
        ])
    }

    func testRunDevice() {
        guard case .run(let run)? = instruction("RUN --device=vendor.com/gpu=all,required --device=x true") else { return XCTFail() }
        XCTAssertEqual(run.devices, [DeviceRequest(name: "vendor.com/gpu=all", required: true), DeviceRequest(name: "x")])
        assertInstructionError("RUN --device=a,required=maybe true", "invalid value for required: maybe")
        XCTAssertEqual(RunInstruction.deviceUnsupportedMessage,
                       "device feature is only supported in Dockerfile frontend 1.14.0-labs or later")
    }

    func testCmdAndEntrypoint() {
        guard case .cmd(let cmd)? = instruction("CMD [\"x\"]") else { return XCTFail() }
        XCTAssertEqual(cmd.command.arguments, ["x"])
        guard case .cmd(let empty)? = instruction("CMD []") else { return XCTFail() }
        XCTAssertEqual(empty.command.arguments, [])
        guard case .entrypoint(let e)? = instruction("ENTRYPOINT run me") else { return XCTFail() }
        XCTAssertEqual(e.command.arguments, ["run me"])
        XCTAssertTrue(e.command.prependShell)
    }

    func testShell() {
        guard case .shell(let s)? = instruction("SHELL [\"/bin/bash\", \"-c\"]") else { return XCTFail() }
        XCTAssertEqual(s.shell, ["/bin/bash", "-c"])
        assertInstructionError("SHELL []", "SHELL requires at least one argument")
        assertInstructionError("SHELL", "SHELL requires at least one argument")
        assertInstructionError("SHELL /bin/sh -c", "SHELL requires the arguments to be in JSON form")
    }

    func testEnvAndLabel() {
        guard case .env(let env)? = instruction("ENV a=1 b=\"x y\"") else { return XCTFail() }
        XCTAssertEqual(env.pairs, [KeyValuePair(key: "a", value: "1"), KeyValuePair(key: "b", value: "\"x y\"")])
        guard case .env(let legacy)? = instruction("ENV a b c") else { return XCTFail() }
        XCTAssertEqual(legacy.pairs, [KeyValuePair(key: "a", value: "b c", noDelimiter: true)])
        guard case .label(let label)? = instruction("LABEL org.x=y") else { return XCTFail() }
        XCTAssertEqual(label.labels, [KeyValuePair(key: "org.x", value: "y")])
        assertInstructionError("ENV =x", "ENV names can not be blank")
        assertInstructionError("LABEL =x", "LABEL names can not be blank")
        XCTAssertThrowsError(try Instruction.parse(Node(keyword: "env", args: ["a", "b"]))) {
            XCTAssertEqual(($0 as? DockerfileError)?.message, "Bad input to ENV, too many arguments")
        }
    }

    func testArg() {
        guard case .arg(let arg)? = instruction("ARG a b=2 c= d=\"x y\"") else { return XCTFail() }
        XCTAssertEqual(arg.args.map(\.key), ["a", "b", "c", "d"])
        XCTAssertEqual(arg.args.map(\.value), [nil, "2", "", "\"x y\""])
        assertInstructionError("ARG", "ARG requires at least one argument")
        assertInstructionError("ARG =x", "ARG names can not be blank")
    }

    func testExactlyOneArgumentInstructions() {
        guard case .user(let u)? = instruction("USER app:app") else { return XCTFail() }
        XCTAssertEqual(u.user, "app:app")
        guard case .maintainer(let m)? = instruction("MAINTAINER Jane Doe <j@d>") else { return XCTFail() }
        XCTAssertEqual(m.maintainer, "Jane Doe <j@d>")
        guard case .stopSignal(let s)? = instruction("STOPSIGNAL SIGTERM") else { return XCTFail() }
        XCTAssertEqual(s.signal, "SIGTERM")
        guard case .workdir(let w)? = instruction("WORKDIR /a b") else { return XCTFail() }
        XCTAssertEqual(w.path, "/a b")
    }

    func testExposeSortsAndVolume() {
        guard case .expose(let e)? = instruction("EXPOSE 8080/udp 443 80") else { return XCTFail() }
        XCTAssertEqual(e.ports, ["443", "80", "8080/udp"])
        guard case .volume(let v)? = instruction("VOLUME [\"/a\", \" /b \"]") else { return XCTFail() }
        XCTAssertEqual(v.volumes, ["/a", "/b"])
        guard case .volume(let list)? = instruction("VOLUME /a /b") else { return XCTFail() }
        XCTAssertEqual(list.volumes, ["/a", "/b"])
        assertInstructionError("VOLUME [\" \"]", "VOLUME specified can not be an empty string")
    }

    func testOnbuild() {
        guard case .onbuild(let o)? = instruction("ONBUILD RUN echo hi") else { return XCTFail() }
        XCTAssertEqual(o.expression, "RUN echo hi")
        XCTAssertEqual(o.trigger?.keyword, "run")
        guard case .run? = try? o.parsedTrigger() else { return XCTFail() }
        guard case .onbuild(let h)? = instruction("onbuild COPY <<EOF /x\nbody\nEOF\n") else { return XCTFail() }
        XCTAssertEqual(h.expression, "COPY <<EOF /x\nbody\nEOF")
        assertInstructionError("ONBUILD MAINTAINER me", "MAINTAINER isn't allowed as an ONBUILD trigger")
        assertInstructionError("ONBUILD from a", "FROM isn't allowed as an ONBUILD trigger")
        assertInstructionError("ONBUILD onbuild RUN a", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
        XCTAssertNotNil(instruction("ONBUILD RUNN x"), "the trigger is validated only when it runs")
    }

    func testCopyFlagsAndSources() {
        guard case .copy(let c)? = instruction(
            "COPY --from=build --chown=1:2 --chmod=755 --link --parents=false --exclude=*.md a b /dst/") else { return XCTFail() }
        XCTAssertEqual(c.from, "build")
        XCTAssertEqual(c.chown, "1:2")
        XCTAssertEqual(c.chmod, "755")
        XCTAssertTrue(c.link)
        XCTAssertFalse(c.parents)
        XCTAssertEqual(c.excludes, ["*.md"])
        XCTAssertEqual(c.sources.sourcePaths, ["a", "b"])
        XCTAssertEqual(c.sources.destination, "/dst/")
        guard case .copy(let json)? = instruction("COPY [\"a b\", \"/c d/\"]") else { return XCTFail() }
        XCTAssertEqual(json.sources.sourcePaths, ["a b"])
        XCTAssertEqual(json.sources.destination, "/c d/")
        assertInstructionError("COPY", "COPY requires at least two arguments, but only one was provided. Destination could not be determined")
        assertInstructionError("COPY --keep-git-dir a b", "unknown flag: --keep-git-dir")
    }

    func testCopyFromRejectsVariables() {
        let message = "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround"
        assertInstructionError("COPY --from=$STAGE a b", message)
        assertInstructionError("COPY --from=${STAGE:-x} a b", message)
        XCTAssertNotNil(instruction("COPY --from=0 a b"))
        XCTAssertNotNil(instruction("COPY --from=alpine:3.20 a b"))
        XCTAssertNotNil(instruction("COPY --from=a$ a b"))
    }

    func testCopyHeredocSources() {
        guard case .copy(let c)? = instruction("COPY <<-\"A\" <<B /dst/\n\tone $x\nA\ntwo\nB\n") else { return XCTFail() }
        XCTAssertEqual(c.sources.sourceContents, [
            SourceContent(path: "A", data: "one $x\n", expand: false), SourceContent(path: "B", data: "two\n", expand: true),
        ])
        XCTAssertEqual(c.sources.sourceContents[0].expandedData { _ in "changed" }, "one $x\n")
        XCTAssertEqual(c.sources.sourceContents[1].expandedData { _ in "changed" }, "changed")
        assertInstructionError("ADD a <<EOF\nEOF", "ADD cannot accept a heredoc as a destination")
    }

    func testAdd() {
        guard case .add(let a)? = instruction(
            "ADD --chown=app --chmod=u+x --link=false --keep-git-dir --checksum=sha256:abc --unpack=true --exclude=x https://e/a.tgz /d") else {
            return XCTFail()
        }
        XCTAssertEqual(a.chown, "app")
        XCTAssertEqual(a.chmod, "u+x")
        XCTAssertFalse(a.link)
        XCTAssertTrue(a.keepGitDir)
        XCTAssertEqual(a.checksum, "sha256:abc")
        XCTAssertEqual(a.unpack, true)
        XCTAssertEqual(a.excludes, ["x"])
        guard case .add(let plain)? = instruction("ADD a b") else { return XCTFail() }
        XCTAssertNil(plain.unpack)
        XCTAssertFalse(plain.keepGitDir)
        assertInstructionError("ADD --from=x a b", "unknown flag: --from")
        assertInstructionError("ADD --parents a b", "unknown flag: --parents")
    }

    func testHealthcheck() {
        guard case .healthcheck(let h)? = instruction(
            "HEALTHCHECK --interval=1m30s --timeout=3s --start-period=0 --start-interval=500ms --retries=3 CMD [\"curl\", \"-f\"]") else {
            return XCTFail()
        }
        XCTAssertEqual(h.health.test, ["CMD", "curl", "-f"])
        XCTAssertEqual(h.health.interval, 90_000_000_000)
        XCTAssertEqual(h.health.timeout, 3_000_000_000)
        XCTAssertEqual(h.health.startPeriod, 0)
        XCTAssertEqual(h.health.startInterval, 500_000_000)
        XCTAssertEqual(h.health.retries, 3)
        guard case .healthcheck(let none)? = instruction("HEALTHCHECK none") else { return XCTFail() }
        XCTAssertEqual(none.health.test, ["NONE"])
        assertInstructionError("HEALTHCHECK NONE x", "HEALTHCHECK NONE takes no arguments")
        assertInstructionError("HEALTHCHECK CONNECT TCP 7000", "Unknown type \"CONNECT\" in HEALTHCHECK (try CMD)")
        assertInstructionError("HEALTHCHECK CMD", "Missing command after HEALTHCHECK CMD")
        assertInstructionError("HEALTHCHECK --interval=500us CMD x", "Interval \"interval\" cannot be less than 1ms")
        assertInstructionError("HEALTHCHECK --timeout=-1s CMD x", "Interval \"timeout\" cannot be less than 1ms")
        assertInstructionError("HEALTHCHECK --interval=5 CMD x", "time: missing unit in duration \"5\"")
        assertInstructionError("HEALTHCHECK --retries=-1 CMD x", "--retries cannot be negative (-1)")
        assertInstructionError("HEALTHCHECK --retries=x CMD x", "strconv.ParseInt: parsing \"x\": invalid syntax")
        assertInstructionError("HEALTHCHECK --retries=3000000000 CMD x", "strconv.ParseInt: parsing \"3000000000\": value out of range")
    }

    func testArgumentCountErrors() {
        for keyword in ["MAINTAINER", "WORKDIR", "USER", "STOPSIGNAL"] {
            assertInstructionError(keyword, "\(keyword) requires exactly one argument")
        }
        for keyword in ["ENV", "LABEL", "ONBUILD", "HEALTHCHECK", "EXPOSE", "VOLUME", "ARG"] {
            assertInstructionError(keyword, "\(keyword) requires at least one argument")
        }
    }
}

import XCTest
@testable import DockerfileSyntax

final class InstructionHelpersTests: XCTestCase {
    func testGoDuration() throws {
        XCTAssertEqual(try GoDuration.parse("0"), 0)
        XCTAssertEqual(try GoDuration.parse("300ms"), 300_000_000)
        XCTAssertEqual(try GoDuration.parse("1h45m"), 6_300_000_000_000)
        XCTAssertEqual(try GoDuration.parse("-1.5h"), -5_400_000_000_000)
        XCTAssertEqual(try GoDuration.parse("1.5µs"), 1_500)
        XCTAssertEqual(try GoDuration.parse(".5s"), 500_000_000)
        XCTAssertEqual(try GoDuration.parse("10ns"), 10)
        XCTAssertEqual(try GoDuration.parse("1.s"), 1_000_000_000)
        let failures = [
            ("", "time: invalid duration \"\""),
            ("s", "time: invalid duration \"s\""),
            ("1", "time: missing unit in duration \"1\""),
            ("1d", "time: unknown unit \"d\" in duration \"1d\""),
        ]
        for (text, message) in failures {
            XCTAssertThrowsError(try GoDuration.parse(text)) {
                XCTAssertEqual(($0 as? DockerfileError)?.message, message)
            }
        }
    }

    func testSignals() throws {
        XCTAssertEqual(try Signal.parse("9"), 9)
        XCTAssertEqual(try Signal.parse("SIGKILL"), 9)
        XCTAssertEqual(try Signal.parse("term"), 15)
        XCTAssertEqual(try Signal.parse("SIGRTMIN+3"), 37)
        XCTAssertEqual(try Signal.parse("RTMAX-1"), 63)
        for bad in ["0", "SIGFOO", "", "SIG"] {
            XCTAssertThrowsError(try Signal.parse(bad)) {
                XCTAssertEqual(($0 as? DockerfileError)?.message, "Invalid signal: \(bad)")
            }
        }
    }

    func testChmod() throws {
        XCTAssertEqual(try Chmod.parse("755"), .octal(0o755))
        XCTAssertEqual(try Chmod.parse("0644"), .octal(0o644))
        XCTAssertEqual(try Chmod.parse("7777"), .octal(0o7777))
        XCTAssertEqual(try Chmod.parse("+x"), .symbolic("+x"))
        XCTAssertEqual(try Chmod.parse("u=rwX,go=rX"), .symbolic("u=rwX,go=rX"))
        XCTAssertEqual(try Chmod.parse("g=u"), .symbolic("g=u"))
        XCTAssertEqual(try Chmod.parse("a-w+t"), .symbolic("a-w+t"))
        for bad in ["10000", "8", "rwx", "u", "u+q", "", "u=r,,g=r"] {
            XCTAssertThrowsError(try Chmod.parse(bad)) {
                XCTAssertEqual(($0 as? DockerfileError)?.message,
                               "invalid chmod parameter: '\(bad)'. it should be octal string and between 0 and 07777")
            }
        }
    }

    func testGoNumberParsing() {
        XCTAssertEqual(GoSyntax.parseBool("T"), true)
        XCTAssertEqual(GoSyntax.parseBool("False"), false)
        XCTAssertNil(GoSyntax.parseBool("yes"))
        XCTAssertEqual(GoSyntax.parseUInt("777", radix: 8, bits: 32), 0o777)
        XCTAssertNil(GoSyntax.parseUInt("0o7", radix: 8, bits: 32))
        XCTAssertNil(GoSyntax.parseUInt("4294967296", radix: 10, bits: 32))
        XCTAssertEqual(GoSyntax.parseUInt("4294967295", radix: 10, bits: 32), 4_294_967_295)
        XCTAssertEqual(try GoSyntax.parseInt("-2147483648", bits: 32).get(), -2_147_483_648)
        XCTAssertThrowsError(try GoSyntax.parseInt("2147483648", bits: 32).get())
        XCTAssertEqual(try GoSyntax.parseInt("+7", bits: 32).get(), 7)
    }

    func testCSVFields() throws {
        XCTAssertEqual(try MountCSV.fields("a,b=c,,d"), ["a", "b=c", "", "d"])
        XCTAssertEqual(try MountCSV.fields("\"a,b\",c"), ["a,b", "c"])
        XCTAssertEqual(try MountCSV.fields(""), [])
        XCTAssertThrowsError(try MountCSV.fields("\"a\"b"))
        XCTAssertThrowsError(try MountCSV.fields("\"a"))
    }

    func testNoInputCrashes() {
        let inputs = [
            "FROM", "RUN --mount=", "RUN --mount=\"", "COPY --chmod", "ONBUILD", "HEALTHCHECK --interval=1e9h CMD x",
            "HEALTHCHECK --interval=99999999999999999999h CMD x", "EXPOSE", "ENV a", "COPY <<", "ADD <<'EOF' b\nEOF",
            "FROM a AS \u{0}", "RUN --device=,,, x", "STOPSIGNAL \u{1F600}", "HEALTHCHECK --retries=9999999999999999999999 CMD x",
        ]
        for text in inputs {
            guard let tree = try? DockerfileParser.parse(text) else { continue }
            for node in tree.nodes { _ = try? Instruction.parse(node) }
            _ = try? DockerfileProgram.parse(tree)
        }
        _ = try? Mount.parse("type=tmpfs,size=99999999999999999999999p,target=/a", expander: { $0 })
    }
}

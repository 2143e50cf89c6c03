@testable import Builder
import DockerfileSyntax
import XCTest

/// How a RUN with heredocs is turned into a command, per BuildKit's `dispatchRun`
/// (frontend/dockerfile/dockerfile2llb/convert.go): a lone heredoc marker runs its body (or, with
/// `#!`, the file /dev/pipes/NAME); anything else is the line with each `\n` + body + name appended.
final class RunHeredocTests: XCTestCase {
    private func resolve(_ dockerfile: String) throws -> RunHeredoc? {
        let tree = try DockerfileParser.parse(dockerfile)
        guard case .run(let run) = try Instruction.parse(tree.nodes[0]) else {
            XCTFail("not a RUN")
            return nil
        }
        return try RunHeredoc.resolve(run.command)
    }

    func testLoneMarkerRunsTheBody() throws {
        XCTAssertEqual(try resolve("RUN <<EOF\necho hi\nEOF\n"), RunHeredoc(arguments: ["echo hi\n"], script: nil))
        // `<<-` strips the tabs of the body the shell gets.
        XCTAssertEqual(try resolve("RUN <<-EOF\n\techo hi\nEOF\n"), RunHeredoc(arguments: ["echo hi\n"], script: nil))
        // Quoting the delimiter changes nothing: the frontend never expands RUN bodies.
        XCTAssertEqual(try resolve("RUN <<'EOF'\necho $HOME\nEOF\n"), RunHeredoc(arguments: ["echo $HOME\n"], script: nil))
    }

    func testShebangBodyBecomesAPipeFile() throws {
        let result = try resolve("RUN <<SCRIPT\n#!/bin/sh\necho hi\nSCRIPT\n")
        XCTAssertEqual(result?.arguments, ["/dev/pipes/SCRIPT"])
        XCTAssertEqual(result?.script?.name, "SCRIPT")
        XCTAssertEqual(result?.script?.data, "#!/bin/sh\necho hi\n")
    }

    // frontend/dockerfile testRunShebangHeredoc (`RUN <<-EOF` with a tab-indented `#!/bin/awk -f`),
    // moby/buildkit#6402: the shebang is looked for after `<<-` strips the tabs.
    func testTabIndentedShebangIsAScriptAfterChomp() throws {
        let result = try resolve("RUN <<-EOF\n\t#!/bin/awk -f\n\tBEGIN { print 1 }\nEOF\n")
        XCTAssertEqual(result?.arguments, ["/dev/pipes/EOF"])
        XCTAssertEqual(result?.script?.data, "#!/bin/awk -f\nBEGIN { print 1 }\n")
        // Without `-`, the tabs stay and the body is shell text.
        XCTAssertNil(try resolve("RUN <<EOF\n\t#!/bin/awk -f\nEOF\n")?.script)
    }

    func testOtherLinesAreReassembledForTheShell() throws {
        XCTAssertEqual(try resolve("RUN <<A cat /dev/stdin <<B\none\nA\ntwo\nB\n"),
                       RunHeredoc(arguments: ["<<A cat /dev/stdin <<B\none\nA\ntwo\nB"], script: nil))
        // The shell does its own `<<-` stripping here: the bodies are passed as written.
        XCTAssertEqual(try resolve("RUN cat <<-A\n\tx\nA\n"), RunHeredoc(arguments: ["cat <<-A\n\tx\nA"], script: nil))
    }

    func testNoHeredocsLeavesTheCommand() throws {
        XCTAssertNil(try resolve("RUN echo a\\<\\<b\n"))
    }

    // dispatchRun names the step `RUN <<EOF (first line...)` (summarizeHeredoc).
    func testStepSummary() throws {
        let tree = try DockerfileParser.parse("RUN <<EOF\n  echo one\necho two\nEOF\nRUN <<EOF\necho one\nEOF\n")
        let titles = try tree.nodes.map { Builder.displayText(try Instruction.parse($0)) }
        XCTAssertEqual(titles, ["RUN <<EOF (echo one...)", "RUN <<EOF (echo one)"])
    }
}

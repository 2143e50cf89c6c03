import XCTest

/// Docker's CMD/ENTRYPOINT table (Dockerfile reference, "Understand how CMD and ENTRYPOINT
/// interact"), every row, with busybox `echo` standing in for exec_entry/exec_cmd, plus the
/// `docker run` rules: arguments after the image replace CMD, `--entrypoint` clears CMD.
final class CommandTableTests: RunTestCase {
    /// Builds FROM busybox with `lines`, runs it with `flags`/`args`; the output and status.
    private func run(_ lines: String, flags: String = "", args: String = "") throws -> (String, Int32) {
        let tag = "kiln-test/table-\(UUID().uuidString.prefix(8).lowercased()):1"
        try build(tag, "FROM \(Self.busybox)\n" + lines + "\n")
        let result = sh("\(kiln) run --rm \(flags) \(tag) \(args)")
        return (result.output.trimmingCharacters(in: .whitespacesAndNewlines), result.status)
    }

    func testNoEntrypoint() throws {
        // Row "No ENTRYPOINT" x "No CMD": "error, not allowed".
        let (none, noneStatus) = try run("CMD []")
        XCTAssertEqual(noneStatus, 125, none)
        XCTAssertTrue(none.contains("no command specified"), none)
        // x CMD ["exec_cmd", "p1_cmd"]: exec_cmd p1_cmd.
        XCTAssertEqual(try run(#"CMD ["echo", "c1"]"#).0, "c1")
        // x CMD ["p1_cmd", "p2_cmd"]: p1_cmd p2_cmd (p1_cmd is run as the program: not found, 127 as Docker).
        let (params, paramsStatus) = try run(#"CMD ["p1_cmd", "p2_cmd"]"#)
        XCTAssertEqual(paramsStatus, 127, params)
        XCTAssertTrue(params.contains("p1_cmd"), params)
        // x CMD exec_cmd p1_cmd: /bin/sh -c exec_cmd p1_cmd.
        XCTAssertEqual(try run(#"CMD echo "$0" c1"#).0, "/bin/sh c1")
    }

    func testShellFormEntrypoint() throws {
        // ENTRYPOINT exec_entry p1_entry (shell form): /bin/sh -c exec_entry p1_entry, whatever CMD;
        // CMD and run arguments only become $0, $1… of the shell, which the command ignores.
        XCTAssertEqual(try run("ENTRYPOINT echo e1").0, "e1")
        XCTAssertEqual(try run("ENTRYPOINT echo e1\nCMD [\"echo\", \"c1\"]").0, "e1")
        XCTAssertEqual(try run("ENTRYPOINT echo e1\nCMD [\"p1_cmd\", \"p2_cmd\"]").0, "e1")
        XCTAssertEqual(try run("ENTRYPOINT echo e1\nCMD echo c1").0, "e1")
        XCTAssertEqual(try run("ENTRYPOINT echo e1", args: "a1 a2").0, "e1")
        // The CMD words really are the shell's $0, $1: /bin/sh -c exec_entry p1_entry exec_cmd p1_cmd.
        XCTAssertEqual(try run("ENTRYPOINT echo e1 \"$0\" \"$1\"\nCMD [\"echo\", \"c1\"]").0, "e1 echo c1")
    }

    func testExecFormEntrypoint() throws {
        // ENTRYPOINT ["exec_entry", "p1_entry"] x No CMD: exec_entry p1_entry.
        XCTAssertEqual(try run(#"ENTRYPOINT ["echo", "e1"]"#).0, "e1")
        // x CMD ["exec_cmd", "p1_cmd"]: exec_entry p1_entry exec_cmd p1_cmd.
        XCTAssertEqual(try run("ENTRYPOINT [\"echo\", \"e1\"]\nCMD [\"echo\", \"c1\"]").0, "e1 echo c1")
        // x CMD ["p1_cmd", "p2_cmd"]: exec_entry p1_entry p1_cmd p2_cmd.
        XCTAssertEqual(try run("ENTRYPOINT [\"echo\", \"e1\"]\nCMD [\"p1_cmd\", \"p2_cmd\"]").0, "e1 p1_cmd p2_cmd")
        // x CMD exec_cmd p1_cmd: exec_entry p1_entry /bin/sh -c exec_cmd p1_cmd.
        XCTAssertEqual(try run("ENTRYPOINT [\"echo\", \"e1\"]\nCMD echo c1").0, "e1 /bin/sh -c echo c1")
    }

    func testRunArgumentsAndEntrypointFlag() throws {
        // "docker run <image> <args>": the arguments replace CMD and are appended to an exec-form ENTRYPOINT.
        XCTAssertEqual(try run("ENTRYPOINT [\"echo\", \"e1\"]\nCMD [\"c1\"]", args: "a1 a2").0, "e1 a1 a2")
        XCTAssertEqual(try run(#"CMD ["echo", "c1"]"#, args: "echo a1").0, "a1")
        // "Passing --entrypoint will clear out any default command set on the image".
        XCTAssertEqual(try run(#"CMD ["echo", "c1"]"#, flags: "--entrypoint echo").0, "")
        XCTAssertEqual(try run("ENTRYPOINT [\"false\"]\nCMD [\"c1\"]", flags: "--entrypoint echo", args: "a1").0, "a1")
        // --entrypoint is one word, not split (Docker runs "echo x" as a program: not found).
        XCTAssertEqual(try run(#"CMD ["c1"]"#, flags: "--entrypoint 'echo x'").1, 127)
    }

    func testImageDefaults() throws {
        // USER, WORKDIR, ENV of the image apply; -e replaces an image variable; -u and -w override.
        let lines = "ENV GREETING=hello\nWORKDIR /work\nUSER 1000:1001\nCMD [\"sh\", \"-c\", \"echo $GREETING $(pwd) $(id -u):$(id -g) $HOSTNAME\"]"
        let (output, status) = try run(lines)
        XCTAssertEqual(status, 0, output)
        let words = output.split(separator: " ").map(String.init)
        XCTAssertEqual(Array(words.prefix(3)), ["hello", "/work", "1000:1001"], output)
        XCTAssertEqual(words.last?.count, 12, "HOSTNAME is the short container ID: \(output)")
        XCTAssertEqual(try run(lines, flags: "-e GREETING=bye -u 0 -w /tmp").0.split(separator: " ").prefix(3).joined(separator: " "),
                       "bye /tmp 0:0")
    }
}

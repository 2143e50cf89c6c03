import Builder
import Foundation
import XCTest

/// Heredocs in RUN and COPY. The reference Docker here (20.10) predates heredocs, so every
/// expectation comes from BuildKit's frontend/dockerfile/dockerfile_heredoc_test.go (test named
/// in each comment) or from its dispatch code (dockerfile2llb/convert.go, `dispatchRun`,
/// `dispatchCopy`), as said per test.
final class HeredocBuildTests: BuilderTestCase {
    /// The files of `dir` in the built image, by name.
    private func files(_ names: [String], under dir: String, in result: BuildResult) throws -> [String: String] {
        var out: [String: String] = [:]
        for name in names { out[name] = try file(dir + name, in: result) }
        return out
    }

    // testRunBasicHeredoc: the body runs through the shell, as root.
    func testRunBasicHeredoc() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let (result, _) = try await build("""
            FROM \(base)
            RUN <<EOF
            echo "i am" >> /dest
            whoami >> /dest
            EOF
            """)
        XCTAssertEqual(try file("dest", in: result), "i am\nroot\n")
    }

    // testRunFakeHeredoc: without a shebang the body is the one argument after SHELL.
    func testRunFakeHeredocUsesTheShellInstruction() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let (result, _) = try await build("""
            FROM \(base)
            SHELL ["/bin/awk"]
            RUN <<EOF
            BEGIN {
            \tprint "foo" > "/dest"
            }
            EOF
            """)
        XCTAssertEqual(try file("dest", in: result), "foo\n")
    }

    // testRunShebangHeredoc: a body starting with `#!` is written to a file and run as it.
    func testRunShebangHeredoc() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let (result, _) = try await build("""
            FROM \(base)
            RUN <<EOF
            #!/bin/awk -f
            BEGIN {
            \tprint "hello" >> "/dest"
            \tprint "world" >> "/dest"
            }
            EOF
            RUN <<-EOF
            \t#!/bin/awk -f
            \tBEGIN {
            \t\tprint "tabbed" >> "/dest2"
            \t}
            EOF
            """)
        XCTAssertEqual(try file("dest", in: result), "hello\nworld\n")
        // The `<<-` half of the BuildKit test (moby/buildkit#6402: shebang found after tab stripping).
        XCTAssertEqual(try file("dest2", in: result), "tabbed\n")
    }

    // testRunComplexHeredoc: several heredocs (and file-descriptor heredocs) are handed back to
    // the shell together with the command line.
    func testRunComplexHeredoc() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let (result, _) = try await build("""
            FROM \(base)
            WORKDIR /dest
            RUN cat <<EOF1 | tr '[:upper:]' '[:lower:]' > ./out1; \\
            \tcat <<EOF2 | tr '[:lower:]' '[:upper:]' > ./out2
            hello WORLD
            EOF1
            HELLO world
            EOF2
            RUN <<EOF 3<<IN1 4<<IN2 awk -f -
            BEGIN {
            \twhile ((getline line < "/proc/self/fd/3") > 0)
            \t\tprint tolower(line) > "./fd3"
            \twhile ((getline line < "/proc/self/fd/4") > 0)
            \t\tprint toupper(line) > "./fd4"
            }
            EOF
            hello WORLD
            IN1
            HELLO world
            IN2
            """)
        XCTAssertEqual(try files(["out1", "out2", "fd3", "fd4"], under: "dest/", in: result), [
            "out1": "hello world\n", "out2": "HELLO WORLD\n", "fd3": "hello world\n", "fd4": "HELLO WORLD\n",
        ])
    }

    // testHeredocIndent: `<<-` strips leading tabs in COPY and in every RUN form; `<<` keeps them.
    func testHeredocIndent() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let (result, _) = try await build("""
            FROM \(base)
            COPY <<EOF /dest/foo-copy
            \tfoo
            EOF
            COPY <<-EOF /dest/bar-copy
            \tbar
            EOF
            RUN <<EOF
            echo "
            \tfoo" > /dest/foo-run
            EOF
            RUN <<-EOF
            echo "
            \tbar" > /dest/bar-run
            EOF
            RUN <<EOF
            #!/bin/sh
            echo "
            \tfoo" > /dest/foo2-run
            EOF
            RUN <<-EOF
            #!/bin/sh
            echo "
            \tbar" > /dest/bar2-run
            EOF
            RUN <<EOF sh > /dest/foo3-run
            echo "
            \tfoo"
            EOF
            RUN <<-EOF sh > /dest/bar3-run
            echo "
            \tbar"
            EOF
            """)
        let names = ["foo-copy", "foo-run", "foo2-run", "foo3-run", "bar-copy", "bar-run", "bar2-run", "bar3-run"]
        XCTAssertEqual(try files(names, under: "dest/", in: result), [
            "foo-copy": "\tfoo\n", "foo-run": "\n\tfoo\n", "foo2-run": "\n\tfoo\n", "foo3-run": "\n\tfoo\n",
            "bar-copy": "bar\n", "bar-run": "\nbar\n", "bar2-run": "\nbar\n", "bar3-run": "\nbar\n",
        ])
    }

    // testHeredocVarSubstitution: COPY bodies are expanded unless the delimiter is quoted, quotes
    // in the body are kept; RUN bodies are left to the shell.
    func testHeredocVarSubstitution() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let (result, _) = try await build("""
            FROM \(base)
            ARG name=world
            COPY <<EOF /dest/c1
            Hello ${name}!
            EOF
            COPY <<'EOF' /dest/c2
            Hello ${name}!
            EOF
            COPY <<"EOF" /dest/c3
            Hello ${name}!
            EOF
            COPY <<EOF /dest/q1
            Hello '${name}'!
            EOF
            COPY <<EOF /dest/q2
            Hello "${name}"!
            EOF
            COPY <<'EOF' /dest/qsingle1
            Hello '${name}'!
            EOF
            COPY <<'EOF' /dest/qsingle2
            Hello "${name}"!
            EOF
            COPY <<"EOF" /dest/qdouble1
            Hello '${name}'!
            EOF
            COPY <<"EOF" /dest/qdouble2
            Hello "${name}"!
            EOF
            RUN <<EOF
            greeting="Hello"
            echo "${greeting} ${name}!" > /dest/r1
            EOF
            RUN <<EOF
            name="new world"
            echo "Hello ${name}!" > /dest/r2
            EOF
            """)
        let expected = [
            "c1": "Hello world!\n", "c2": "Hello ${name}!\n", "c3": "Hello ${name}!\n",
            "q1": "Hello 'world'!\n", "q2": "Hello \"world\"!\n",
            "qsingle1": "Hello '${name}'!\n", "qsingle2": "Hello \"${name}\"!\n",
            "qdouble1": "Hello '${name}'!\n", "qdouble2": "Hello \"${name}\"!\n",
            "r1": "Hello world!\n", "r2": "Hello new world!\n",
        ]
        XCTAssertEqual(try files(Array(expected.keys), under: "dest/", in: result), expected)
    }

    // testCopyHeredocSpecialSymbols: quotes kept; `\` escapes processed only for unquoted delimiters.
    func testCopyHeredocSpecialSymbols() async throws {
        let (result, _) = try await build("""
            FROM scratch
            COPY <<EOF quotefile
            "quotes in file"
            EOF
            COPY <<EOF slashfile1
            \\
            EOF
            COPY <<EOF slashfile2
            \\\\
            EOF
            COPY <<EOF slashfile3
            \\$
            EOF
            COPY <<"EOF" rawslashfile1
            \\
            EOF
            COPY <<"EOF" rawslashfile2
            \\\\
            EOF
            COPY <<"EOF" rawslashfile3
            \\$
            EOF
            """)
        let expected = [
            "quotefile": "\"quotes in file\"\n", "slashfile1": "\n", "slashfile2": "\\\n", "slashfile3": "$\n",
            "rawslashfile1": "\\\n", "rawslashfile2": "\\\\\n", "rawslashfile3": "\\$\n",
        ]
        XCTAssertEqual(try files(Array(expected.keys), under: "", in: result), expected)
    }

    // testCopyHeredoc: one file per heredoc named after it in a directory destination, --chmod and
    // --chown apply to heredoc files. (The fixture's busybox has no adduser applet, so the user is
    // written to /etc/passwd and /etc/group directly.)
    func testCopyHeredocNamesModesAndOwners() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let (result, _) = try await build("""
            FROM \(base)
            RUN echo 'user:x:1000:1000::/home/user:/bin/sh' >> /etc/passwd && echo 'user:x:1000:' >> /etc/group
            WORKDIR /dest
            COPY <<EOF single
            single file
            EOF
            COPY <<EOF <<EOF2 double/
            first file
            EOF
            second file
            EOF2
            RUN mkdir -p /permfiles
            COPY --chmod=777 <<EOF /permfiles/all
            dummy content
            EOF
            COPY --chmod=0644 <<EOF /permfiles/rw
            dummy content
            EOF
            COPY --chown=user:user <<EOF /permfiles/owned
            dummy content
            EOF
            RUN stat -c "%04a" /permfiles/all >> perms && \\
            \tstat -c "%04a" /permfiles/rw >> perms && \\
            \tstat -c "%U:%G" /permfiles/owned >> perms
            """)
        XCTAssertEqual(try files(["single", "double/EOF", "double/EOF2", "perms"], under: "dest/", in: result), [
            "single": "single file\n", "double/EOF": "first file\n", "double/EOF2": "second file\n",
            "perms": "0777\n0644\nuser:user\n",
        ])
    }

    // dispatchCopy copies the path sources, then each heredoc, into one layer: context files and
    // heredocs mix in one COPY; without --chmod a heredoc file is 0644 (Mkfile(name, 0644, ...)).
    func testCopyMixesContextFilesAndHeredocs() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        try write("a.txt", "from context\n")
        let (result, _) = try await build("""
            FROM \(base)
            COPY a.txt <<NOTE /d/
            inline
            NOTE
            RUN stat -c "%04a %U" /d/NOTE > /d/stat
            """)
        XCTAssertEqual(try files(["a.txt", "NOTE", "stat"], under: "d/", in: result), [
            "a.txt": "from context\n", "NOTE": "inline\n", "stat": "0644 root\n",
        ])
        XCTAssertEqual(result.manifest.layers.count, 3)  // busybox's one layer, the COPY, the RUN
    }

    // History texts: dispatchRun records `RUN ` + runCommandString(args) where args are the shell
    // and the heredoc body (or /dev/pipes/NAME for a shebang script); dispatchCopy records the
    // path sources, then `<<NAME` per heredoc, then the destination.
    func testHeredocHistoryText() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        try write("a.txt", "a\n")
        let (result, _) = try await build("""
            FROM \(base)
            RUN <<EOF
            echo hi > /hi
            EOF
            RUN <<EOF
            #!/bin/sh
            echo script > /script
            EOF
            RUN cat <<A > /a
            x
            A
            COPY a.txt <<B /d/
            b
            B
            """)
        let texts = Array(result.config.history.compactMap(\.createdBy).suffix(4))
        XCTAssertEqual(texts, [
            "RUN /bin/sh -c echo hi > /hi\n # buildkit",
            "RUN /bin/sh -c /dev/pipes/EOF # buildkit",
            "RUN /bin/sh -c cat <<A > /a\nx\nA # buildkit",
            "COPY a.txt <<B /d/ # buildkit",
        ])
        XCTAssertEqual(try file("script", in: result), "script\n")
        XCTAssertEqual(try file("a", in: result), "x\n")
    }

    // A changed shebang script re-runs its step although the history text (/dev/pipes/EOF) is the same.
    func testChangedShebangScriptIsNotCached() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let script = { (word: String) in "FROM \(base)\nRUN <<EOF\n#!/bin/sh\necho \(word) > /out\nEOF\n" }
        _ = try await build(script("one"))
        let (second, lines) = try await build(script("two"))
        XCTAssertFalse(lines.contains("#2 CACHED"), lines.joined(separator: "\n"))
        XCTAssertEqual(try file("out", in: second), "two\n")
    }

    // testOnBuildHeredoc: an ONBUILD RUN heredoc runs in the stage built FROM it.
    func testOnBuildHeredoc() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let (result, _) = try await build("""
            FROM \(base) AS parent
            ONBUILD RUN <<EOF
            echo "hello world" >> /dest
            EOF
            FROM parent
            RUN true
            """)
        XCTAssertEqual(try file("dest", in: result), "hello world\n")
    }

    // dispatchCopy serves ADD and COPY alike: ADD takes heredoc sources too (the heredoc is a
    // plain file, never extracted); history `ADD <<EOF1 <<EOF2 /bar/ # buildkit`.
    func testAddHeredoc() async throws {
        let (result, _) = try await build("""
            FROM scratch
            ADD <<EOF1 <<EOF2 /bar/
            this is the first file
            EOF1
            this is the second file
            EOF2
            """)
        XCTAssertEqual(try file("bar/EOF1", in: result), "this is the first file\n")
        XCTAssertEqual(try file("bar/EOF2", in: result), "this is the second file\n")
        XCTAssertEqual(result.config.history.first?.createdBy, "ADD <<EOF1 <<EOF2 /bar/ # buildkit")
    }

    // The shebang script is mounted 0755 (Mkfile(name, 0755, ...)), so a non-root USER runs it too.
    func testShebangHeredocRunsAsTheStageUser() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let (result, _) = try await build("""
            FROM \(base)
            RUN mkdir /out && chmod 777 /out
            USER 1000:1000
            RUN <<EOF
            #!/bin/sh
            id -u > /out/uid
            EOF
            """)
        XCTAssertEqual(try file("out/uid", in: result), "1000\n")
    }
}

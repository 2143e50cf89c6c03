import Foundation
import TestVectors
import XCTest

/// Issue 16: the live progress view, seen in a real terminal. Each test runs `kiln build` in a tmux
/// session of a fixed size, captures the screen (capture-pane) while a step runs and when the build
/// ended, and compares it with what a person sees (timers and the image ID normalized).
/// Needs tmux, the busybox fixture and root (RUN steps run in runc).
final class TerminalProgressTests: XCTestCase {
    var scratch: URL!
    var session = ""

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") else { throw XCTSkip("tmux is not installed") }
        guard getuid() == 0 else { throw XCTSkip("RUN steps need root") }
        guard FileManager.default.fileExists(atPath: Self.fixture) else { throw XCTSkip("no busybox fixture") }
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-tty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("ctx"), withIntermediateDirectories: true)
        session = "kiln-tty-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    override func tearDownWithError() throws {
        if !session.isEmpty { _ = try? tmux(["kill-server"]) }
        if let registryStop { _ = try? shell(registryStop) }
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    static var fixture: String { Vectors.shared.appendingPathComponent("fixtures/busybox").path }

    func testRunningStepShowsItsLastLinesThenCollapses() throws {
        try write("""
            FROM base
            RUN echo one; echo two; touch /ready; sleep 4; echo three
            COPY Dockerfile /copied
            """)
        try start()
        let running = try waitForScreen { $0.contains("=> => # two") }
        XCTAssertEqual(Self.normalized(running), """
            [+] Building T (1/2)
             => [1/3] [context base] load  T
             => [2/3] RUN echo one; echo two; touch /ready; sleep 4; echo three  T
             => => # one
             => => # two
            """)
        let finished = try waitForScreen { $0.contains("EXIT=") }
        XCTAssertEqual(Self.normalized(finished), """
            [+] Building T (4/4) FINISHED
             => [1/3] [context base] load  T
             => [2/3] RUN echo one; echo two; touch /ready; sleep 4; echo three  T
             => [3/3] COPY Dockerfile /copied  T
             => exporting to image  T
             => => writing image sha256:ID  T
             => => naming to docker.io/library/kiln-tty:1  T
            EXIT=0
            """)
    }

    func testCachedStepsAndAFailingStep() throws {
        try write("""
            FROM base
            RUN echo cached
            RUN printf 'first\\r\\nprogress 10%%\\rprogress 99%%\\n'; echo broken; exit 3
            """)
        // The first RUN is cached by a plain build before.
        let first = try KilnProcess.run(["build", "--progress", "plain", "--root", scratch.appendingPathComponent("store").path,
                                         "--build-context", "base=oci-layout://\(Self.fixture):latest",
                                         "-f", scratch.appendingPathComponent("ctx/Dockerfile").path, scratch.appendingPathComponent("ctx").path])
        XCTAssertEqual(first.status, 1, first.stderr)
        // The plain log keeps `\r\n` and bare `\r` inside lines, each line with its `#N seconds` prefix.
        let plain = #"\n#3 \d\.\d{3} first\r\n#3 \d\.\d{3} progress 10%\rprogress 99%\n#3 \d\.\d{3} broken\n#3 ERROR: "#
        XCTAssertNotNil(first.stderr.range(of: plain, options: .regularExpression), first.stderr)
        try start()
        let finished = try waitForScreen { $0.contains("EXIT=") }
        let screen = Self.normalized(finished)
        XCTAssertTrue(screen.hasPrefix("""
            [+] Building T (3/3) ERROR
             => [1/3] [context base] load  T
             => CACHED [2/3] RUN echo cached  T
             => ERROR [3/3] RUN printf 'first\\r\\nprogress 10%%\\rprogress 99%%\\n'...  T
             => => # first
             => => # progress 99%
             => => # broken
             => => ERROR: process "/bin/sh -c printf 'first\\r\\nprogress 10%%\\rprogres...
            """), screen)
        XCTAssertTrue(screen.hasSuffix("EXIT=1"), screen)
    }

    func testPullAndPushShowTheirLayersAndTheLastFrameListsEveryStep() throws {
        // A real registry on loopback holding the busybox fixture.
        let port = Int.random(in: 20000...40000)
        let tool = Vectors.shared.appendingPathComponent("tools/local-registry").path
        registryStop = "'\(tool)' stop \(port)"
        let started = try shell("'\(tool)' start \(port) && '\(tool)' seed \(port)")
        guard started.status == 0 else { throw XCTSkip("no local registry: \(started.output)") }
        try write("FROM 127.0.0.1:\(port)/busybox:latest\nRUN echo hi")
        try start(["-t", "127.0.0.1:\(port)/kiln-tty/pushed:1", "--push"])
        let screen = Self.normalized(try waitForScreen { $0.contains("EXIT=") })
        // The busybox fixture's layer, pulled and then pushed (then the config blob and the digest).
        let layer = " => => sha256:ID 1.03MB / 1.03MB  T"
        XCTAssertTrue(screen.hasPrefix("""
            [+] Building T (4/4) FINISHED
             => [1/2] FROM 127.0.0.1:\(port)/busybox:latest  T
            \(layer)
             => [2/2] RUN echo hi  T
             => exporting to image  T
             => => writing image sha256:ID  T
             => => naming to 127.0.0.1:\(port)/kiln-tty/pushed:1  T
             => pushing 127.0.0.1:\(port)/kiln-tty/pushed:1 with docker  T
            \(layer)
            """), screen)
        XCTAssertTrue(screen.contains(" => => pushing 127.0.0.1:\(port)/kiln-tty/pushed:1: digest: sha256:ID  T\nEXIT=0"), screen)
    }

    // MARK: - helpers

    var registryStop: String?

    private func shell(_ command: String) throws -> (status: Int32, output: String) {
        let out = scratch.appendingPathComponent("shell.out")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        let handle = try FileHandle(forWritingTo: out)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        // The registry keeps running: no descriptor of ours may stay open in it.
        let closeDescriptors = #"for fd in /proc/self/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done 2>/dev/null; "#
        process.arguments = ["-c", closeDescriptors + command]
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: try Data(contentsOf: out), as: UTF8.self))
    }

    private func write(_ dockerfile: String) throws {
        try Data((dockerfile + "\n").utf8).write(to: scratch.appendingPathComponent("ctx/Dockerfile"))
    }

    /// Starts the build in a 76×24 terminal; the shell prints `EXIT=status` when it ends.
    private func start(_ flags: [String] = ["-t", "kiln-tty:1"]) throws {
        let script = scratch.appendingPathComponent("build.sh")
        let arguments = [KilnProcess.executable.path, "build"] + flags + ["--root", scratch.appendingPathComponent("store").path,
                         "--build-context", "base=oci-layout://\(Self.fixture):latest", scratch.appendingPathComponent("ctx").path]
        let command = arguments.map { "'\($0)'" }.joined(separator: " ")
        try Data("clear\n\(command)\necho EXIT=$?\nexec sleep 600\n".utf8).write(to: script)
        try tmux(["new-session", "-d", "-s", session, "-x", "76", "-y", "24", "env TERM=xterm-256color bash '\(script.path)'"])
    }

    /// Polls the screen until `ready` holds (the build's own pace decides; no time is asserted).
    private func waitForScreen(_ ready: (String) -> Bool) throws -> String {
        var screen = ""
        for _ in 0..<1200 {
            screen = try tmux(["capture-pane", "-p", "-t", session])
            if ready(screen) { return screen }
            usleep(50_000)
        }
        XCTFail("the screen never showed what was expected:\n\(screen)")
        return screen
    }

    @discardableResult
    private func tmux(_ arguments: [String]) throws -> String {
        let process = Process()
        // Through bash, which first closes every descriptor above 2: the tmux server that new-session
        // starts would otherwise keep Foundation's descriptors and the call would never return.
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        let closeAndRun = #"for fd in /proc/self/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done 2>/dev/null; exec /usr/bin/tmux "$@""#
        // A server of its own (its socket in the scratch folder): it runs in this process's mount
        // namespace and environment, and never touches another tmux.
        process.arguments = ["-c", closeAndRun, "tmux", "-S", scratch.appendingPathComponent("tmux.sock").path, "-f", "/dev/null"] + arguments
        // Output through a file: the server that new-session starts would hold a pipe open.
        let out = scratch.appendingPathComponent("tmux.out")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        let handle = try FileHandle(forWritingTo: out)
        defer { try? handle.close() }
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return String(decoding: try Data(contentsOf: out), as: UTF8.self)
    }

    /// Timers become `T` (right-aligned ones two spaces after the text), the image ID `ID`; trailing
    /// blanks and empty lines at the end go.
    static func normalized(_ screen: String) -> String {
        var lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            var text = String(line)
            text = text.replacingOccurrences(of: #"sha256:[0-9a-f]+(\.\.\.)?"#, with: "sha256:ID", options: .regularExpression)
            text = text.replacingOccurrences(of: #"Building \d+\.\ds"#, with: "Building T", options: .regularExpression)
            // Right-aligned timers: the padding depends on the timer's width.
            text = text.replacingOccurrences(of: #"(\S)\s+\d+\.\ds$"#, with: "$1  T", options: .regularExpression)
            while text.hasSuffix(" ") { text.removeLast() }
            return text
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines.joined(separator: "\n")
    }
}

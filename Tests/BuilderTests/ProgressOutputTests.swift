import Builder
import Foundation
import XCTest

/// Issue 16 point 3: the plain log as BuildKit's plain printer writes it — only `\n` ends a line,
/// `\r` stays inside it, every line has its `#N seconds` prefix, a write that ends mid-line is
/// continued by the next write, and a step interrupted by another is marked `#N ...`.
final class ProgressOutputTests: XCTestCase {
    private func plain(_ events: (BuildProgress) -> Void) -> String {
        var bytes: [UInt8] = []
        let lock = NSLock()
        let writer = PlainProgressWriter(write: { lock.lock(); bytes += $0; lock.unlock() })
        let progress = BuildProgress(display: writer)
        events(progress)
        // Timers vary: seconds since the step started become S, step times D.
        return String(decoding: bytes, as: UTF8.self)
            .replacingOccurrences(of: #"(#\d+) \d+\.\d{1,3} "#, with: "$1 S ", options: .regularExpression)
            .replacingOccurrences(of: #"DONE \d+\.\ds"#, with: "DONE D", options: .regularExpression)
    }

    func testCarriageReturnsStayInsideLines() {
        let text = plain { p in
            let n = p.begin("[2/2] RUN printf")
            p.output(n, Array("a\r\nb\r\n".utf8))
            p.output(n, Array("10%\r20%\r30%\n".utf8))
            p.done(n)
        }
        XCTAssertEqual(text, "#1 [2/2] RUN printf\n#1 S a\r\n#1 S b\r\n#1 S 10%\r20%\r30%\n#1 DONE D\n")
    }

    func testPartialWritesAreNotSplit() {
        let text = plain { p in
            let n = p.begin("[1/1] RUN x")
            p.output(n, Array("par".utf8))
            p.output(n, Array("tial\nnext line\nunfinished".utf8))
            p.done(n)
        }
        XCTAssertEqual(text, "#1 [1/1] RUN x\n#1 S partial\n#1 S next line\n#1 S unfinished\n#1 DONE D\n")
    }

    func testInterleavedStepsAreMarkedAndTheirTitlesRepeated() {
        let text = plain { p in
            let a = p.begin("[a 1/1] RUN a")
            p.output(a, Array("half".utf8))
            let b = p.begin("[b 1/1] RUN b")
            p.output(b, Array("b1\n".utf8))
            p.output(a, Array(" done\n".utf8))
            p.cached(b)
            p.done(a)
        }
        XCTAssertEqual(text, """
            #1 [a 1/1] RUN a
            #1 S half
            #1 ...

            #2 [b 1/1] RUN b
            #2 S b1
            #2 ...

            #1 [a 1/1] RUN a
            #1 S half done
            #1 ...

            #2 [b 1/1] RUN b
            #2 CACHED

            #1 [a 1/1] RUN a
            #1 DONE D

            """)
    }

    func testStatusLinesAndFailures() {
        let start = Date(timeIntervalSince1970: 1000)
        let text = plain { p in
            let n = p.begin("[1/2] FROM busybox")
            p.status(n, BuildStatus(id: "sha256:abc", current: 0, total: 2_000_000, started: start, timestamp: start))
            // Less than 5% more within 5 s: not printed; more, but within 100 ms: not printed either.
            p.status(n, BuildStatus(id: "sha256:abc", current: 50_000, total: 2_000_000, started: start, timestamp: start.addingTimeInterval(1)))
            p.status(n, BuildStatus(id: "sha256:abc", current: 500_000, total: 2_000_000, started: start, timestamp: start.addingTimeInterval(0.05)))
            p.status(n, BuildStatus(id: "sha256:abc", current: 2_000_000, total: 2_000_000, started: start,
                                    completed: start.addingTimeInterval(2), timestamp: start.addingTimeInterval(2)))
            let m = p.begin("[2/2] RUN false")
            p.output(m, Array("oops".utf8))
            p.failRunning("exit code: 1")
        }
        XCTAssertEqual(text, """
            #1 [1/2] FROM busybox
            #1 sha256:abc 0B / 2.00MB
            #1 sha256:abc 2.00MB / 2.00MB 2.0s done
            #1 ...

            #2 [2/2] RUN false
            #2 S oops
            #2 ...

            #1 [1/2] FROM busybox
            #1 ERROR: exit code: 1

            #2 [2/2] RUN false
            #2 S oops
            #2 ERROR: exit code: 1

            """)
    }

    func testSecondsPrecisionAndSizes() {
        XCTAssertEqual(PlainProgressWriter.seconds(0.0423), "0.042")
        XCTAssertEqual(PlainProgressWriter.seconds(12.345), "12.35")
        XCTAssertEqual(PlainProgressWriter.seconds(123.45), "123.5")
        XCTAssertEqual(PlainProgressWriter.bytes(512), "512B")
        XCTAssertEqual(PlainProgressWriter.bytes(1_234_567), "1.23MB")
    }

    func testRawJSONIsOneSolveStatusPerLine() throws {
        var bytes: [UInt8] = []
        let progress = BuildProgress(display: RawJSONProgressWriter(write: { bytes += $0 }))
        let n = progress.begin("[1/1] RUN echo hi")
        progress.output(n, Array("hi\n".utf8))
        progress.cached(n)
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        let objects = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let started = (objects[0]["vertexes"] as! [[String: Any]])[0]
        XCTAssertEqual(started["name"] as? String, "[1/1] RUN echo hi")
        XCTAssertTrue((started["digest"] as? String)?.hasPrefix("sha256:") == true)
        XCTAssertNotNil(started["started"] as? String)
        let log = (objects[1]["logs"] as! [[String: Any]])[0]
        XCTAssertEqual(log["vertex"] as? String, started["digest"] as? String)
        XCTAssertEqual(log["data"] as? String, Data("hi\n".utf8).base64EncodedString())
        let done = (objects[2]["vertexes"] as! [[String: Any]])[0]
        XCTAssertEqual(done["cached"] as? Bool, true)
        XCTAssertNotNil(done["completed"] as? String)
    }
}

import XCTest
import TestVectors
@testable import DockerfileSyntax

/// No input may crash or hang the parser: mutated vectors and pathological shapes.
final class ParserRobustnessTests: XCTestCase {
    /// A small deterministic generator (SplitMix64) so failures reproduce.
    private struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
    }

    private static let interesting: [[UInt8]] = [
        "\\", "`", "\n", "\r", "\t", " ", "#", "<<", "<<-", "'", "\"", "[", "]", ",", "=", "--",
        "\u{85}", "\u{A0}", "ONBUILD ", "RUN ", "COPY ", "ENV ", "HEALTHCHECK ", "# escape=`\n", "EOF\n",
    ].map { Array($0.utf8) } + [[0xFF], [0xC3], [0xE2, 0x82], [0x00], [0xEF, 0xBB, 0xBF]]

    func testMutatedVectorsNeverCrash() throws {
        var corpus: [[UInt8]] = []
        for name in try Vectors.cases(in: "parser") {
            corpus.append(Array(try Vectors.data("parser/\(name)/Dockerfile")))
        }
        for record in try Vectors.records("parser-extra/heredoc_parse.json") {
            if let text = record["dockerfile"] as? String { corpus.append(Array(text.utf8)) }
        }
        var random = Random(state: 20_240_601)
        for _ in 0..<3000 {
            var input = corpus[random.below(corpus.count)]
            for _ in 0..<(1 + random.below(8)) {
                let at = random.below(input.count + 1)
                switch random.below(4) {
                case 0: input.insert(contentsOf: Self.interesting[random.below(Self.interesting.count)], at: at)
                case 1: if at < input.count { input.remove(at: at) }
                case 2: if at < input.count { input[at] = UInt8(truncatingIfNeeded: random.next()) }
                default:
                    let end = min(input.count, at + random.below(40))
                    if at < end { input.insert(contentsOf: input[at..<end], at: at) }
                }
            }
            if let tree = try? DockerfileParser.parse(input) {
                _ = tree.dump()
            }
        }
    }

    func testPathologicalInputsAreFast() throws {
        let start = Date()
        let continued = String(repeating: "a \\\n", count: 200_000) + "b\n"
        XCTAssertEqual(try DockerfileParser.parse("RUN " + continued).nodes.count, 1)
        let deepJSON = "CMD " + String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000)
        // Deeper than Go's decoder allows: not JSON, so the shell form.
        XCTAssertEqual(try DockerfileParser.parse(deepJSON).nodes[0].isJSON, false)
        let nestedOK = "CMD " + String(repeating: "[", count: 9_000) + String(repeating: "]", count: 9_000)
        XCTAssertThrowsError(try DockerfileParser.parse(nestedOK))
        let chain = String(repeating: "ONBUILD ", count: 5_000) + "RUN x"
        XCTAssertThrowsError(try DockerfileParser.parse(chain))
        XCTAssertEqual(try DockerfileParser.parse(String(repeating: "ONBUILD ", count: 50) + "RUN x").nodes.count, 1)
        let heredocs = "RUN " + String(repeating: "<<A ", count: 10_000) + "\n" + String(repeating: "A\n", count: 10_000)
        XCTAssertEqual(try DockerfileParser.parse(heredocs).nodes[0].heredocs.count, 10_000)
        let words = "ENV " + String(repeating: "a=\"b c\" ", count: 8_000)
        XCTAssertEqual(try DockerfileParser.parse(words).nodes[0].args.count, 24_000)
        let brackets = "RUN " + String(repeating: "<", count: 60_000)
        XCTAssertEqual(try DockerfileParser.parse(brackets).nodes.count, 1)
        let comments = String(repeating: "# c\n", count: 100_000) + "FROM a\n"
        XCTAssertEqual(try DockerfileParser.parse(comments).nodes[0].comments.count, 100_000)
        XCTAssertLessThan(Date().timeIntervalSince(start), 30, "pathological inputs took too long")
    }
}

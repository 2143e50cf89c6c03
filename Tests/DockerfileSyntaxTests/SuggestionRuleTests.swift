import DockerfileSyntax
import XCTest

/// "Did you mean …?" as BuildKit picks it (util/suggest `Search`, used by `suggest.WrapError` for
/// unknown instructions, flags, mount types/keys and --target stages).
final class SuggestionRuleTests: XCTestCase {
    // util/suggest Search: the smallest Levenshtein distance below 3, whatever the word's length
    // (frontend/dockerfile testTargetMistype: "bulid" → build, a distance of 2 in a 5-letter word).
    func testBuildKitThreshold() {
        XCTAssertEqual(Suggestion.buildKit("bulid", in: ["build", "final"], caseSensitive: true), "build")
        XCTAssertEqual(Suggestion.buildKit("cahce", in: ["bind", "cache", "tmpfs", "secret", "ssh"], caseSensitive: true), "cache")
        XCTAssertNil(Suggestion.buildKit("zzzzz", in: ["build"], caseSensitive: true))
        // An exact match: the error is about something else, no suggestion.
        XCTAssertNil(Suggestion.buildKit("build", in: ["build", "buildx"], caseSensitive: true))
        XCTAssertEqual(Suggestion.buildKit("CPY", in: ["COPY", "CMD"], caseSensitive: false), "COPY")
    }

    // frontend/dockerfile testDockerfileInvalidInstruction wording; an unknown flag the same way.
    func testParseErrorsSuggestWithBuildKitsRule() throws {
        XCTAssertThrowsError(try Instruction.parse(try DockerfileParser.parse("FNOM scratch\n").nodes[0])) { error in
            XCTAssertEqual((error as? DockerfileError)?.suggestion, "did you mean FROM?")
        }
        let run = try DockerfileParser.parse("RUN --mnout=type=cache,target=/x true\n").nodes[0]
        XCTAssertThrowsError(try Instruction.parse(run)) { error in
            XCTAssertEqual((error as? DockerfileError)?.suggestion, "did you mean --mount?", "\(error)")
        }
    }
}

import XCTest
import TestVectors
@testable import ContextFilter

/// Runs every record of `dockerignore/patterns.json` through the function it names.
final class PatternVectorTests: XCTestCase {
    /// What one vector call produced.
    private enum Outcome: Equatable, CustomStringConvertible {
        case value(Bool)
        case newError(String)
        case matchError(String)

        var description: String {
            switch self {
            case .value(let b): return "\(b)"
            case .newError(let m): return "error at new: \(m)"
            case .matchError(let m): return "error at match: \(m)"
            }
        }
    }

    private func run(_ fn: String, _ matcher: PatternMatcher, _ path: String) throws(PatternError) -> Bool {
        switch fn {
        case "MatchesOrParentMatches":
            return try matcher.matchesOrParentMatches(path)
        case "MatchesUsingParentResults":
            return try matcher.matchesWalking(path)
        case "MatchesUsingParentResultsNoContext":
            return try matcher.matchesUsingParentResults(path, parent: MatchInfo()).0
        case "MatchesUsingParentResult":
            var parentMatched = false
            for prefix in GoPath.ancestorPrefixes(Array(path.utf8)) {
                parentMatched = try matcher.legacyMatchesUsingParentResult(
                    String(decoding: prefix, as: UTF8.self), parentMatched: parentMatched)
            }
            return try matcher.legacyMatchesUsingParentResult(path, parentMatched: parentMatched)
        default:
            throw PatternError("unknown fn \(fn)")
        }
    }

    private func outcome(_ fn: String, _ patterns: [String], _ path: String) -> Outcome {
        if fn == "Matches" {
            // The package-level function compiles the patterns itself.
            do {
                _ = try PatternMatcher(patterns)
            } catch {
                return .newError(error.description)
            }
            do {
                return .value(try PatternMatcher.legacyMatches(path, patterns: patterns))
            } catch {
                return .matchError(error.description)
            }
        }
        let matcher: PatternMatcher
        do {
            matcher = try PatternMatcher(patterns)
        } catch {
            return .newError(error.description)
        }
        do {
            return .value(try run(fn, matcher, path))
        } catch {
            return .matchError(error.description)
        }
    }

    func testEveryPatternVector() throws {
        let records = try Vectors.records("dockerignore/patterns.json")
        XCTAssertFalse(records.isEmpty)
        var passed: [String: Int] = [:]
        var total: [String: Int] = [:]
        for record in records {
            let id = record["id"] as? Int ?? -1
            let fn = record["fn"] as? String ?? "?"
            let patterns = record["patterns"] as? [String] ?? []
            total[fn, default: 0] += 1
            let label = "id \(id) fn \(fn) patterns \(patterns)"
            var ok = true

            // When the record comes from a .dockerignore text, ReadAll must give `patterns`.
            if let text = record["dockerignore"] as? String {
                let read = try? IgnoreFile.read(Array(text.utf8))
                if read != patterns {
                    ok = false
                    XCTFail("\(label): ReadAll(\(text.debugDescription)) gave \(String(describing: read))")
                }
            }

            if fn == "New" {
                do {
                    let matcher = try PatternMatcher(patterns)
                    if record["error"] as? Bool == true {
                        ok = false
                        XCTFail("\(label): expected an error from New, got none")
                    }
                    if let count = record["pattern_count"] as? Int, count != matcher.count {
                        ok = false
                        XCTFail("\(label): pattern_count expected \(count), actual \(matcher.count)")
                    }
                    if let exclusions = record["exclusions"] as? Bool, exclusions != matcher.hasExclusions {
                        ok = false
                        XCTFail("\(label): exclusions expected \(exclusions), actual \(matcher.hasExclusions)")
                    }
                } catch {
                    if record["error"] as? Bool != true {
                        ok = false
                        XCTFail("\(label): unexpected New error \(error)")
                    }
                }
                if ok { passed[fn, default: 0] += 1 }
                continue
            }

            let path = record["path"] as? String ?? ""
            let repeatCount = record["repeat"] as? Int ?? 1
            let matcher = try? PatternMatcher(patterns)
            for attempt in 1...max(1, repeatCount) {
                let actual: Outcome
                if fn != "Matches", let matcher {
                    // One matcher object, called `repeat` times.
                    do { actual = .value(try run(fn, matcher, path)) } catch { actual = .matchError(error.description) }
                } else {
                    actual = outcome(fn, patterns, path)
                }
                let expected: String
                var good: Bool
                if record["error"] as? Bool == true {
                    let stage = record["error_stage"] as? String ?? "?"
                    expected = "error at \(stage)"
                    switch actual {
                    case .newError: good = stage == "new"
                    case .matchError: good = stage == "match"
                    case .value: good = false
                    }
                } else {
                    let match = record["match"] as? Bool ?? false
                    expected = "\(match)"
                    good = actual == .value(match)
                }
                if !good {
                    ok = false
                    XCTFail("\(label) path \(path.debugDescription) attempt \(attempt): expected \(expected), actual \(actual)")
                }
            }
            if ok { passed[fn, default: 0] += 1 }
        }
        let summary = total.keys.sorted().map { "\($0) \(passed[$0, default: 0])/\(total[$0]!)" }.joined(separator: ", ")
        print("dockerignore/patterns.json: \(summary)")
    }
}

import Foundation
import TestVectors
import XCTest

/// shared/conformance: every case built by kiln and compared with the image Docker built (issue 4).
/// Passes when at least 90% of the cases pass; every failing case is listed with its first difference.
/// References: shared/conformance/references, with the cases whose stored reference is stale replaced
/// by Docker's rebuild in Tests/ConformanceReferences (see its README).
/// Skipped when not root (RUN needs a runtime) or when KILN_SKIP_CONFORMANCE is set.
final class ConformanceTests: XCTestCase {
    static let required = 0.90

    func testConformanceSuite() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root (RUN steps run in runc)") }
        guard ProcessInfo.processInfo.environment["KILN_SKIP_CONFORMANCE"] == nil else { throw XCTSkip("KILN_SKIP_CONFORMANCE is set") }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-conformance-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let checker = Vectors.shared.appendingPathComponent("conformance/check-kiln").path
        let references = try mergedReferences(in: out)
        let shell = Shell(environment: ["CONF_OUT": out.path, "CONF_REFS": references.path,
                                        "KILN_ROOT": out.appendingPathComponent("kiln-root").path])
        let result = try shell.run("'\(checker)' \(Shell.kiln)")
        let lines = result.output.split(separator: "\n").map(String.init)
        guard let summary = lines.last(where: { $0.contains(" passed, ") }) else {
            return XCTFail("check-kiln printed no summary (exit \(result.status)):\n\(result.output.suffix(4000))")
        }
        let numbers = summary.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        guard numbers.count >= 2 else { return XCTFail("unreadable summary: \(summary)") }
        let passed = numbers[0], total = numbers[0] + numbers[1]
        let failures = lines.filter { $0.hasPrefix("FAIL") || $0.hasPrefix("ERROR") }
        print("conformance: \(summary)\n" + failures.joined(separator: "\n"))
        XCTAssertGreaterThanOrEqual(Double(passed) / Double(max(total, 1)), Self.required,
                                    "conformance \(summary); failing cases:\n" + failures.joined(separator: "\n"))
    }

    /// A folder of links: every shared reference, except where Tests/ConformanceReferences has a newer one.
    private func mergedReferences(in out: URL) throws -> URL {
        let merged = out.appendingPathComponent("references")
        try FileManager.default.createDirectory(at: merged, withIntermediateDirectories: true)
        let shared = Vectors.shared.appendingPathComponent("conformance/references")
        let refreshed = Vectors.repositoryRoot.appendingPathComponent("Tests/ConformanceReferences")
        let ours = Set((try? FileManager.default.contentsOfDirectory(atPath: refreshed.path)) ?? [])
        for name in try FileManager.default.contentsOfDirectory(atPath: shared.path) {
            let source = ours.contains(name) ? refreshed : shared
            try FileManager.default.createSymbolicLink(at: merged.appendingPathComponent(name),
                                                       withDestinationURL: source.appendingPathComponent(name))
        }
        for name in ours where name != "README.md" && !FileManager.default.fileExists(atPath: merged.appendingPathComponent(name).path) {
            try FileManager.default.createSymbolicLink(at: merged.appendingPathComponent(name),
                                                       withDestinationURL: refreshed.appendingPathComponent(name))
        }
        return merged
    }
}

import Foundation
import XCTest
@testable import DockerfileSyntax

/// Presents typed instructions with BuildKit's Go field names, so `parse_ok.json` expectations
/// (`Health.Test`, `stages[0].Commands[1].Args[0]`, …) can be looked up by path.
enum GoView {
    static func object(_ instruction: Instruction) -> [String: Any] {
        switch instruction {
        case .healthcheck(let h):
            return ["Health": ["Test": h.health.test, "Retries": h.health.retries]]
        case .run(let r):
            return command(r.command).merging(["FlagsUsed": r.flagsUsed]) { a, _ in a }
        case .cmd(let c):
            return command(c.command)
        case .entrypoint(let e):
            return command(e.command)
        case .copy(let c):
            return sources(c.sources).merging(["From": c.from ?? ""]) { a, _ in a }
        case .add(let a):
            return sources(a.sources)
        case .arg(let a):
            return ["Args": a.args.map { ["Key": $0.key, "Value": $0.value as Any, "DocComment": $0.docComment] }]
        default:
            return [:]
        }
    }

    static func object(_ program: DockerfileProgram) -> [String: Any] {
        [
            "stages": program.stages.map { stage -> [String: Any] in
                ["Name": stage.name ?? "", "BaseName": stage.baseName, "DocComment": stage.docComment,
                 "Commands": stage.instructions.map(object)]
            },
            "meta": program.metaArgs.map { object(.arg($0)) },
        ]
    }

    private static func command(_ line: ShellCommandLine) -> [String: Any] {
        ["CmdLine": line.arguments, "PrependShell": line.prependShell,
         "Files": line.files.map { ["Name": $0.name, "Data": $0.data, "Chomp": $0.chomp] }]
    }

    private static func sources(_ s: SourcesAndDestination) -> [String: Any] {
        ["DestPath": s.destination, "SourcePaths": s.sourcePaths,
         "SourceContents": s.sourceContents.map { ["Path": $0.path, "Data": $0.data, "Expand": $0.expand] }]
    }

    /// Follows `a.b[2].c` through dictionaries and arrays.
    static func lookup(_ path: String, in root: Any) -> Any? {
        var current: Any? = root
        for part in path.split(separator: ".") {
            var name = Substring(part)
            var indexes: [Int] = []
            while let open = name.lastIndex(of: "["), let close = name.lastIndex(of: "]"), open < close {
                indexes.insert(Int(name[name.index(after: open)..<close]) ?? -1, at: 0)
                name = name[..<open]
            }
            current = (current as? [String: Any])?[String(name)]
            for index in indexes {
                guard let array = current as? [Any], array.indices.contains(index) else { return nil }
                current = array[index]
            }
        }
        return current
    }

    /// `null` matches nil or an empty list; dictionaries match on the expected keys only.
    static func matches(_ expected: Any, _ actual: Any?) -> Bool {
        if expected is NSNull { return actual == nil || (actual as? [Any])?.isEmpty == true }
        if let e = expected as? [String: Any] {
            guard let a = actual as? [String: Any] else { return false }
            return e.allSatisfy { matches($0.value, a[$0.key]) }
        }
        if let e = expected as? [Any] {
            guard let a = actual as? [Any], a.count == e.count else { return false }
            return zip(e, a).allSatisfy { matches($0, $1) }
        }
        if let e = expected as? String { return actual as? String == e }
        if let e = expected as? NSNumber, let a = actual as? Bool { return e.boolValue == a }
        if let e = expected as? NSNumber, let a = actual as? Int { return e.intValue == a }
        return false
    }
}

final class InstructionGoViewTests: XCTestCase {
    func testLookupFollowsIndexes() {
        let root: [String: Any] = ["a": [["b": "x"]]]
        XCTAssertEqual(GoView.lookup("a[0].b", in: root) as? String, "x")
        XCTAssertNil(GoView.lookup("a[1].b", in: root))
        XCTAssertTrue(GoView.matches(NSNull(), [String]()))
    }
}

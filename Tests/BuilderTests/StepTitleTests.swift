@testable import Builder
import DockerfileSyntax
import Foundation
import TestVectors
import XCTest

/// Issue 16 point 6: step counters and titles as Docker 20.10 prints them, checked against the plain
/// build logs of the conformance references (shared/conformance/references/CASE/build.log): the same
/// `[stage i/N]` prefix for every step Docker shows, and the same text where it needs no variables.
final class StepTitleTests: XCTestCase {
    func testTitlesMatchDockerReferenceLogs() throws {
        let conformance = Vectors.shared.appendingPathComponent("conformance")
        let cases = conformance.appendingPathComponent("cases")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: cases.path) else {
            throw XCTSkip("no conformance cases at \(cases.path)")
        }
        var compared = 0
        for name in names.sorted() {
            let log = conformance.appendingPathComponent("references/\(name)/build.log")
            guard let text = try? String(contentsOf: log, encoding: .utf8) else { continue }
            let caseDir = cases.appendingPathComponent(name)
            var dockerfile = caseDir.appendingPathComponent("context/Dockerfile")
            if let data = try? Data(contentsOf: caseDir.appendingPathComponent("case.json")),
               let json = try JSONSerialization.jsonObject(with: data) as? [String: Any], let file = json["dockerfile"] as? String {
                dockerfile = caseDir.appendingPathComponent(file)
                if !FileManager.default.fileExists(atPath: dockerfile.path) { dockerfile = caseDir.appendingPathComponent("context/" + file) }
            }
            guard let source = try? String(contentsOf: dockerfile, encoding: .utf8),
                  let program = try? DockerfileProgram.parse(source) else { continue }
            // FROM names with variables need the build's ARG values: left to the build tests.
            if program.stages.contains(where: { $0.baseName.contains("$") }) { continue }
            let ours = Self.staticTitles(program)
            for title in Self.referenceTitles(text) {
                guard let close = title.firstIndex(of: "]") else { continue }
                let prefix = String(title[...close])
                let rest = title[title.index(after: close)...].trimmingCharacters(in: .whitespaces)
                // Docker's FROM vertex is shared by every build of the same base, and keeps the
                // title the first of them gave it (`[first 1/4] FROM …` in another case's log).
                if rest.hasPrefix("FROM ") { continue }
                guard let (mine, variables) = ours[prefix] else {
                    XCTFail("\(name): Docker shows step \(prefix), kiln has \(ours.keys.sorted())\n\(title)")
                    continue
                }
                let keyword = rest.prefix { $0 != " " }
                XCTAssertEqual(String(mine.prefix { $0 != " " }), String(keyword), "\(name): \(title)")
                if !variables, !mine.contains("<<") {
                    XCTAssertEqual(mine, rest, "\(name): \(prefix)")
                }
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 100, "too few reference steps compared")
    }

    /// `[prefix] TEXT` of every step of every stage, without running anything (FROM text is the
    /// name), and whether the instruction has variables (its text then needs the build's values).
    static func staticTitles(_ program: DockerfileProgram) -> [String: (String, Bool)] {
        var result: [String: (String, Bool)] = [:]
        for (i, stage) in program.stages.enumerated() {
            let lower = stage.baseName.lowercased()
            let fromStage = program.stages[..<i].contains { $0.name?.lowercased() == lower }
            var titles = StepTitles(program: program, stageIndex: i, baseIsImage: !fromStage && lower != "scratch")
            var all: [(String, Bool)] = []
            if !fromStage && lower != "scratch" { all.append((titles.next("FROM \(stage.baseName)"), false)) }
            for instruction in stage.instructions where StepTitles.isStep(instruction) {
                all.append((titles.next(StepTitles.text(instruction, env: [:], escapeToken: program.directives.escape)),
                            Builder.instructionLine(instruction).contains("$")))
            }
            for (title, variables) in all {
                let close = title.firstIndex(of: "]")!
                result[String(title[...close])] = (title[title.index(after: close)...].trimmingCharacters(in: .whitespaces), variables)
            }
        }
        return result
    }

    /// The step titles of a BuildKit plain log: each block's first line, but BuildKit's own steps.
    static func referenceTitles(_ log: String) -> [String] {
        var titles: [String] = []
        var previous = ""
        for line in log.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            defer { previous = line }
            guard previous.isEmpty || previous.hasPrefix("$ "), line.hasPrefix("#"),
                  let space = line.firstIndex(of: " ") else { continue }
            let title = String(line[line.index(after: space)...])
            if title.hasPrefix("["), !title.hasPrefix("[internal]") { titles.append(title) }
        }
        return titles
    }

    func testSingleStageHasNoStageNameAndNumbersArePadded() throws {
        let program = try DockerfileProgram.parse("""
            FROM busybox
            ENV A=1
            RUN a
            RUN b
            RUN c
            RUN d
            RUN e
            RUN f
            RUN g
            RUN h
            COPY x y
            WORKDIR /w
            LABEL l=1
            """)
        var titles = StepTitles(program: program, stageIndex: 0, baseIsImage: true)
        XCTAssertNil(titles.stageName)
        XCTAssertEqual(titles.total, 11)
        XCTAssertEqual(titles.next("FROM busybox"), "[ 1/11] FROM busybox")
        for _ in 0..<9 { _ = titles.next("x") }
        XCTAssertEqual(titles.next("WORKDIR /w"), "[11/11] WORKDIR /w")
    }

    func testCopyFromAnImageMakesStageNamesAppear() throws {
        let program = try DockerfileProgram.parse("FROM busybox\nCOPY --from=alpine /etc/os-release /\n")
        XCTAssertEqual(StepTitles(program: program, stageIndex: 0, baseIsImage: true).stageName, "stage-0")
        let named = try DockerfileProgram.parse("FROM busybox AS build\nRUN x\nFROM build\nRUN y\n")
        XCTAssertEqual(StepTitles(program: named, stageIndex: 0, baseIsImage: true).stageName, "build")
        let second = StepTitles(program: named, stageIndex: 1, baseIsImage: false)
        XCTAssertEqual(second.stageName, "stage-1")
        XCTAssertEqual(second.total, 1)
    }

    func testVariablesAreExpandedInTitles() throws {
        let program = try DockerfileProgram.parse("""
            FROM busybox
            run echo "${GREETING} $WHO" '$KEPT' $UNSET
            COPY "${SRC}" /app/$DEST
            """)
        let env = ["GREETING": "hello", "WHO": "world", "SRC": "a.txt", "DEST": "b", "KEPT": "no"]
        let instructions = program.stages[0].instructions
        // RUN keeps quotes and unset variables; COPY expands as a shell word.
        XCTAssertEqual(StepTitles.text(instructions[0], env: env, escapeToken: "\\"), #"RUN echo "hello world" '$KEPT' $UNSET"#)
        XCTAssertEqual(StepTitles.text(instructions[1], env: env, escapeToken: "\\"), "COPY a.txt /app/b")
    }
}

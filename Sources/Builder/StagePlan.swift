import Foundation
import DockerfileSyntax
import ShellWords

/// Which stages a build runs, and what each stage's FROM names once global ARGs are expanded.
struct StagePlan {
    /// Expanded base name of each stage (`scratch`, an image reference, or an earlier stage's name).
    var baseNames: [String]
    /// The stage index each stage builds FROM, when its base is an earlier stage.
    var baseStage: [Int?]
    /// Stage indices to build, in order.
    var order: [Int]
    /// For each stage of `order`, the stages it needs finished before it starts (its FROM stage,
    /// COPY --from and RUN --mount from= stages). Stages that do not need each other build at
    /// the same time, as BuildKit's solver runs independent parts of the graph.
    var dependencies: [Int: Set<Int>] = [:]
    /// The stage whose image is the result.
    var target: Int

    /// `replaced`: stages a named build context stands for (their dependencies are not needed).
    init(program: DockerfileProgram, global: GlobalScope, target: String?, replaced: Set<Int> = []) throws {
        let stages = program.stages
        guard !stages.isEmpty else { throw BuildError("the Dockerfile has no stages (no FROM instruction)") }
        var names: [String] = []
        var bases: [Int?] = []
        for (i, stage) in stages.enumerated() {
            let name: String
            do {
                name = try global.lexer.processWord(stage.baseName, env: global.environment)
            } catch {
                throw BuildError.at(stage.range, "\(error)")
            }
            guard !name.isEmpty else {
                throw BuildError.at(stage.range, "base name (\(stage.baseName)) should not be blank")
            }
            names.append(name)
            let lower = name.lowercased()
            bases.append(stages[..<i].lastIndex { $0.name?.lowercased() == lower })
        }
        baseNames = names
        baseStage = bases
        if let target {
            guard let index = stages.firstIndex(where: { $0.name?.lowercased() == target.lowercased() }) else {
                // BuildKit's suggest.WrapError (frontend/dockerfile testTargetMistype).
                let hint = Suggestion.buildKit(target, in: stages.compactMap(\.name), caseSensitive: true)
                throw BuildError("target stage \"\(target)\" could not be found" + (hint.map { " (did you mean \($0)?)" } ?? ""))
            }
            self.target = index
        } else {
            self.target = stages.count - 1
        }
        // Dependencies: FROM an earlier stage, COPY --from / RUN --mount from= a stage.
        var needed = Set<Int>()
        var dependencies: [Int: Set<Int>] = [:]
        func visit(_ i: Int) {
            guard needed.insert(i).inserted else { return }
            var direct = Set<Int>()
            // A stage replaced by a named context depends on nothing.
            if replaced.contains(i) { dependencies[i] = direct; return }
            if let base = bases[i] { direct.insert(base) }
            for instruction in stages[i].instructions {
                for ref in Self.fromReferences(instruction) {
                    if let s = Self.stageIndex(ref, stages: stages, before: i) { direct.insert(s) }
                }
            }
            dependencies[i] = direct
            for s in direct.sorted() { visit(s) }
        }
        visit(self.target)
        order = needed.sorted()
        self.dependencies = dependencies
    }

    /// `--from` values an instruction names (unexpanded).
    static func fromReferences(_ instruction: Instruction) -> [String] {
        switch instruction {
        case .copy(let c): return c.from.map { [$0] } ?? []
        case .run(let r):
            if let mounts = r.literalMounts { return mounts.compactMap { $0.from.isEmpty ? nil : $0.from } }
            // Specs with a variable elsewhere (`target=$DIR`) are expanded only at dispatch; `from`
            // itself never holds one (rejected when parsing), so read it from the raw CSV.
            return r.mountSpecs.flatMap(mountFromValues)
        default: return []
        }
    }

    /// The `from=` values of a raw `--mount` spec (`type=bind,from=build,target=/b`).
    static func mountFromValues(_ spec: String) -> [String] {
        spec.split(separator: ",").compactMap { field in
            let parts = field.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[0].lowercased() == "from" else { return nil }
            let value = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            return value.isEmpty ? nil : value
        }
    }

    /// The stage a `--from` value names: a stage name, or a number for an earlier stage.
    static func stageIndex(_ ref: String, stages: [Stage], before: Int) -> Int? {
        if let n = Int(ref), n >= 0, n < before { return n }
        let lower = ref.lowercased()
        return stages[..<before].lastIndex { $0.name?.lowercased() == lower }
    }
}

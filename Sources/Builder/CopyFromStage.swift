import DockerfileSyntax

extension Builder {
    /// `COPY --from=NAME` (also from an ONBUILD trigger) where NAME is no earlier stage: a stage
    /// defined later in the file, or a stage number that is not earlier, is an error — never a pull
    /// of an image called NAME (which would also send a mistyped stage name to a registry).
    /// BuildKit: dockerfile2llb `toCommand` resolves `--from` against every stage, then fails with
    /// "cannot copy from stage …, it needs to be defined before current stage …"
    /// (frontend/dockerfile testOutOfOrderStage); a number out of range is "invalid stage index N".
    func checkNotLaterStage(_ from: String, stageIndex: Int, range: SourceRange) throws {
        let stages = program.stages
        let current = stages[stageIndex].name?.lowercased() ?? "stage-\(stageIndex)"
        if let n = Int(from) {
            guard n >= 0, n < stages.count else { throw BuildError.at(range, "invalid stage index \(n)") }
            throw BuildError.at(range, "cannot copy from stage \(GoQuote.quote(from)), it needs to be defined before current stage \(GoQuote.quote(current))")
        }
        let lower = from.lowercased()
        if stages[stageIndex...].contains(where: { $0.name?.lowercased() == lower }) {
            throw BuildError.at(range, "cannot copy from stage \(GoQuote.quote(from)), it needs to be defined before current stage \(GoQuote.quote(current))")
        }
    }

    /// `RUN --mount=from=NAME` where NAME is this stage or a later one (by name or number): an
    /// error, as BuildKit's dispatchRunMounts ("cannot mount from stage …, stage needs to be
    /// defined before current command"), never a pull of an image called NAME. A named build
    /// context of that name is used as usual.
    func checkMountsFromEarlierStages(_ mounts: [DockerfileSyntax.Mount], stageIndex: Int, range: SourceRange) throws {
        let stages = program.stages
        for m in mounts where !m.from.isEmpty && namedContext(for: m.from) == nil {
            let later: Bool
            if let n = Int(m.from) {
                guard n >= 0, n < stages.count else { throw BuildError.at(range, "invalid stage index \(n)") }
                later = n >= stageIndex
            } else {
                let lower = m.from.lowercased()
                later = stages[stageIndex...].contains { $0.name?.lowercased() == lower }
                    && !stages[..<stageIndex].contains { $0.name?.lowercased() == lower }
            }
            if later {
                throw BuildError.at(range, "cannot mount from stage \(GoQuote.quote(m.from)) to \(GoQuote.quote(m.target)), "
                                    + "stage needs to be defined before current command")
            }
        }
    }
}

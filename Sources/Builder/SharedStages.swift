import DockerfileSyntax
import Foundation
import ImageSpec

/// The stages the plans of one multi-platform build have in common, built once.
///
/// A stage is the same in two plans when it runs on the same platform from the same inputs: its
/// `FROM --platform` (or the target platform), its expanded base, its instructions as written, the
/// values its `ARG`s import from the global scope, and the same for every stage it needs. So a
/// `FROM --platform=$BUILDPLATFORM` stage that does not declare a TARGET* argument is built once
/// for all target platforms; one that declares `ARG TARGETARCH` is built once per target.
/// Limit: `ARG`s in ONBUILD triggers of the base image are not seen by the key (the image is
/// resolved only when the stage runs); such a stage is treated as one whose triggers import nothing.
final class SharedStages: @unchecked Sendable {
    private let lock = NSLock()
    private var tasks: [String: Task<StageState, any Error>] = [:]
    /// Base images resolved by any plan of the build (the key names the platform).
    let resolvedImages = ResolvedImages()

    /// The state of the stage `key`, built by `build` the first time it is asked for; the other
    /// plans wait for that build. A waiter's cancellation cancels the build (the whole multi-platform
    /// build fails then).
    func stage(_ key: String, build: @escaping @Sendable () async throws -> StageState) async throws -> StageState {
        let task = lock.withLock {
            if let task = tasks[key] { return task }
            let task = Task { try await build() }
            tasks[key] = task
            return task
        }
        return try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
    }
}

extension BuildPlan {
    /// Each planned stage's identity across plans (see ``SharedStages``).
    func stageKeys(options: BuildOptions) throws -> [Int: String] {
        var keys: [Int: String] = [:]
        func key(_ index: Int) throws -> String {
            if let known = keys[index] { return known }
            let stage = program.stages[index]
            var parts = ["platform=\(try Builder.stagePlatform(index, plan: self))", "base=\(stages.baseNames[index])"]
            // A named context, a `--from` image or an ARG not in the global scope may depend on the
            // target platform: such a stage is never shared.
            var targetDependent = !options.namedContexts.isEmpty
            for instruction in stage.instructions {
                parts.append(instruction.node.original)
                if case .arg(let arg) = instruction {
                    for decl in arg.args {
                        parts.append("arg \(decl.key)=\(options.buildArgs[decl.key] ?? global.value(of: decl.key) ?? "<unset>")")
                    }
                }
                for ref in StagePlan.fromReferences(instruction)
                where StagePlan.stageIndex(ref, stages: program.stages, before: index) == nil {
                    targetDependent = true
                }
            }
            if targetDependent { parts.append("target=\(platform)") }
            for dependency in stages.dependencies[index, default: []].sorted() {
                parts.append("needs \(try key(dependency))")
            }
            let result = Digest.sha256(of: Data(parts.joined(separator: "\n").utf8)).description
            keys[index] = result
            return result
        }
        for index in stages.order { _ = try key(index) }
        return keys
    }
}

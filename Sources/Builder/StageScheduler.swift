import Foundation

/// The finished stages of a build, written by the stage tasks as they end and read by the stages
/// that depend on them. One lock guards the dictionary: the only state stage tasks share.
final class FinishedStages: @unchecked Sendable {
    private let lock = NSLock()
    private var states: [Int: StageState] = [:]

    subscript(index: Int) -> StageState? {
        lock.lock(); defer { lock.unlock() }
        return states[index]
    }

    func set(_ index: Int, _ state: StageState) {
        lock.lock(); defer { lock.unlock() }
        states[index] = state
    }
}

extension Builder {
    /// Builds the stages of the plan, each in its own task as soon as the stages it depends on are
    /// finished, so that independent stages run at the same time (as BuildKit's solver does); the
    /// steps of one stage stay in order. The first stage to fail ends the build with its error
    /// (pointing at its instruction): the other stages are cancelled (a running container is
    /// killed) and awaited before it is thrown.
    func buildStages() async throws {
        let plan = self.plan
        try await withThrowingTaskGroup(of: (Int, StageState).self) { group in
            var started = Set<Int>()
            var done = Set<Int>()
            func startReady() {
                for index in plan.order where !started.contains(index) {
                    guard plan.dependencies[index, default: []].isSubset(of: done) else { continue }
                    started.insert(index)
                    group.addTask { (index, try await self.buildStage(index)) }
                }
            }
            startReady()
            while let (index, state) = try await group.next() {
                finished.set(index, state)
                done.insert(index)
                startReady()
            }
            if done.count != plan.order.count {
                throw BuildError("internal error: stages \(Set(plan.order).subtracting(done).sorted()) could not be scheduled")
            }
        }
    }
}

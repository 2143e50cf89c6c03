// Owns the parallel part of a context walk: the subtrees (jobs) walked on every core while the
// caller hands on, in walk order, each job's records as soon as that job is done.
import Dispatch
import Foundation
import Synchronization

/// The results of a walk's jobs, filled by workers on their own thread (so the caller, which may be
/// a task on Swift's cooperative pool, never waits for a thread it holds) and read in any order
/// by the caller, each read waiting until its job is done.
final class ContextWalkJobs<Record: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    /// Guarded by `condition`: each job's result once it is done.
    private var results: [Result<[Record], ContextWalkError>?]
    /// The next job a worker takes; set past the end to stop the workers early.
    private let next = Mutex(0)
    private let count: Int
    private let finished = DispatchGroup()

    /// Starts walking `count` jobs, each by `work(index)`, on up to `width` cores (inline when
    /// `width` or `count` is below 2).
    init(count: Int, width: Int, work: @escaping @Sendable (Int) -> Result<[Record], ContextWalkError>) {
        self.count = count
        results = Array(repeating: nil, count: count)
        if count < 2 || width < 2 {
            for index in 0..<count { results[index] = work(index) }
            return
        }
        // A queue of its own targets an overcommitting root queue, so the workers get a thread even
        // when every thread of the global pool is busy or waiting (the caller among them).
        DispatchQueue(label: "kiln.context-walk").async(group: finished) { [self] in
            DispatchQueue.concurrentPerform(iterations: width) { _ in
                while true {
                    let index = next.withLock { n -> Int in defer { n += 1 }; return n }
                    guard index < count else { return }
                    let made = work(index)
                    condition.lock()
                    results[index] = made
                    condition.broadcast()
                    condition.unlock()
                }
            }
        }
    }

    /// The result of job `index`, once it is done.
    func result(_ index: Int) -> Result<[Record], ContextWalkError> {
        condition.lock()
        defer { condition.unlock() }
        while results[index] == nil { condition.wait() }
        return results[index]!
    }

    /// Stops handing out jobs and waits until no worker runs (call before the jobs' descriptors close).
    func finish() {
        next.withLock { $0 = count }
        finished.wait()
    }
}

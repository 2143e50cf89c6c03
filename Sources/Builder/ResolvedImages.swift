import Foundation
import Images

/// The images one build resolved, by reference: one lookup (or pull) each, shared by every stage
/// that names the image, even when they run at the same time. Thread-safe.
final class ResolvedImages: @unchecked Sendable {
    private let lock = NSLock()
    private var tasks: [String: Task<LocalImage, any Error>] = [:]

    /// The task resolving `key`, started by `start` the first time.
    func task(for key: String, start: () -> Task<LocalImage, any Error>) -> Task<LocalImage, any Error> {
        lock.withLock {
            if let task = tasks[key] { return task }
            let task = start()
            tasks[key] = task
            return task
        }
    }

    /// The lookups that succeeded, by key, in key order (waits for any still running).
    func succeeded() async -> [(key: String, image: LocalImage)] {
        let all = lock.withLock { tasks }
        var result: [(key: String, image: LocalImage)] = []
        for (key, task) in all.sorted(by: { $0.key < $1.key }) {
            if let image = try? await task.value { result.append((key, image)) }
        }
        return result
    }
}

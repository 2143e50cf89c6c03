import Foundation
import TestVectors

/// Runs one of the repository's check scripts (scripts/NAME) with bash, through `bashThroughFile`
/// (posix_spawn + waitpid, output through a file): the scripts start registries and containers, which
/// must not be able to hold a pipe of the test open.
enum RepositoryScript {
    static func run(_ name: String, _ arguments: [String]) -> (status: Int32, output: String) {
        let script = Vectors.repositoryRoot.appendingPathComponent("scripts/\(name)").path
        let quoted = ([script] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        return bashThroughFile("bash " + quoted.joined(separator: " "))
    }
}

import ArgumentParser
import Foundation
import ImageArchive

/// Runs an archive operation, printing `error: …` and exiting 1 on failure.
func runArchiveCommand<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as ExitCode {
        throw error
    } catch {
        printError("error: \(error)")
        throw ExitCode(1)
    }
}

import ArgumentParser
import Distribution
import Foundation
import ImageSpec
import ImageStore
import Images

/// Opening the image service for a command, and reporting its errors the way Docker's CLI does.
enum ImageCommandSupport {
    /// Runs `body` with an ``ImageService`` over the store and a registry client using the Docker
    /// credentials (`$DOCKER_CONFIG/config.json`); shuts the client down afterwards. Errors print as
    /// `Error: …` on stderr and exit with status 1.
    static func withService<T>(_ options: StoreOptions, progress: any TransferProgress = SilentProgress(),
                               _ body: (ImageService) async throws -> T) async throws -> T {
        let store = try options.openStore()
        let credentials: CredentialStore?
        do {
            credentials = try CredentialStore()
        } catch {
            printError("Error: \(error)")
            throw ExitCode(1)
        }
        let registry = RegistryClient(configuration: .init(credentials: credentials))
        let service = ImageService(store: store, registry: registry, progress: progress)
        do {
            let result = try await body(service)
            try? await registry.shutdown()
            return result
        } catch let exit as ExitCode {
            try? await registry.shutdown()
            throw exit
        } catch {
            try? await registry.shutdown()
            printError("Error: \(error)" + diskFullHint(error, store: store.location.root.path))
            throw ExitCode(1)
        }
    }

    /// For an error caused by a full disk (ENOSPC), a sentence naming the store and what to do;
    /// empty otherwise. Nothing half-written becomes visible in the store, so freeing space is enough.
    static func diskFullHint(_ error: any Error, store root: String) -> String {
        let text = "\(error)"
        guard text.contains("No space left on device") || text.contains("no space left on device") else { return "" }
        return " (no space left on device for the store at \(root): free space there — kiln system prune removes unused data — and try again)"
    }

    /// Parses a reference given on the command line, or fails with Docker's message.
    static func reference(_ text: String) throws -> ImageReference {
        do {
            return try ImageReference(parsing: text)
        } catch {
            printError("Error: \(error)")
            throw ExitCode(1)
        }
    }

    /// The image `name` names, or `Error: No such image: name` and exit 1.
    static func image(_ service: ImageService, _ name: String) async throws -> LocalImage {
        guard let image = try await service.localImage(name) else {
            throw ImagesError(.noSuchImage, "No such image: \(name)")
        }
        return image
    }
}

/// Writes text to standard output without buffering surprises between stdout and stderr.
func printOut(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// Whether standard error is a terminal (progress is drawn in place only then).
var stderrIsTerminal: Bool { isatty(2) == 1 }

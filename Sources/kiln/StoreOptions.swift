import ArgumentParser
import Foundation
import ContainerRuntime
import ImageStore

/// `--root`, shared by every command that uses the image store. Precedence: `--root`, then
/// `KILN_ROOT`, then `/var/lib/kiln` for root, else `$XDG_DATA_HOME/kiln` or `~/.local/share/kiln`.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Store root (default: $KILN_ROOT, /var/lib/kiln as root, else ~/.local/share/kiln).", valueName: "DIR"))
    var root: String?

    /// The resolved store location (creates nothing).
    func location() throws -> StoreLocation {
        try StoreLocation.resolve(explicit: root)
    }

    /// Opens (creating when missing) the store. Errors are reported as `error: …` with exit status 1.
    func openStore() throws -> ContentStore {
        do {
            let location = try location()
            // The note that overlayfs is replaced by copying is given once per store.
            SnapshotFallback.noteMarker.withLock { $0 = location.stateDirectory.appendingPathComponent("copied-snapshots-noted").path }
            return try ContentStore(location: location)
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }
}

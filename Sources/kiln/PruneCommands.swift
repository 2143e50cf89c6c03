import ArgumentParser
import Builder
import Containers
import Foundation
import ImageSpec
import ImageStore
import Images

/// Docker's prune commands over kiln's store: `container prune`, `image prune [-a]`,
/// `builder prune [-a]` and `system prune [-a]` (also `kiln prune`). Each says what it will remove
/// (Docker's WARNING text) and asks unless `-f`; an answer other than y/yes — or no answer, when
/// standard input is not a terminal and ends — removes nothing.
///
/// What kiln's pieces are:
/// - a stopped container: one not running (its folder: writable layer, log, records);
/// - a dangling image: a manifest no tag reaches (an image whose tag moved to a newer build);
///   images that containers use are kept;
/// - build cache: the records of build steps (`kiln/cache`) and the layers only they keep.
///   A record is in use while an image whose build used it is in the store (its builder stages
///   too); `builder prune` removes the others (dangling), `-a` all of them and the RUN cache mounts.
///   Unpacked layer snapshots that no image, container or build needs go with any prune.
enum Prune {
    /// Asks for confirmation unless `force`; false when the answer is not yes.
    static func confirm(_ warning: String, force: Bool) -> Bool {
        if force { return true }
        FileHandle.standardOutput.write(Data((warning + "\nAre you sure you want to continue? [y/N] ").utf8))
        guard let answer = readLine() else {
            FileHandle.standardOutput.write(Data("\n".utf8))
            printError("kiln: nothing removed: no answer (standard input ended); use -f to remove without asking")
            return false
        }
        let text = answer.trimmingCharacters(in: .whitespaces).lowercased()
        return text == "y" || text == "yes"
    }

    /// Docker's report of what a prune removed: a "Deleted …:" section (nothing when `lines` is
    /// empty), followed by a blank line unless `blankLine` is false.
    static func printSection(_ title: String, _ lines: [String], blankLine: Bool = true) {
        guard !lines.isEmpty else { return }
        printOut("\(title):\n" + lines.joined(separator: "\n") + (blankLine ? "\n" : ""))
    }

    struct ContainerResult {
        var removed: [String] = []
        var bytes: Int64 = 0
    }

    /// Removes every container that is not running.
    static func containers(_ location: StoreLocation) -> ContainerResult {
        let containers = ContainerStore(location: location)
        var result = ContainerResult()
        for record in containers.all().reversed() where containers.state(record.id).status != "running" {
            result.bytes += SystemDiskUsage.treeSize(containers.folder(record.id).appendingPathComponent("upper"))
            containers.remove(record.id)
            result.removed.append(record.id)
        }
        return result
    }

    struct ImageResult {
        var lines: [String] = []
        var blobBytes: Int64 = 0
        var snapshotBytes: Int64 = 0
    }

    /// Removes dangling images (with `all`, every image no container uses), then the blobs and
    /// snapshots nothing needs any more. Build cache layers stay.
    static func images(_ service: ImageService, all: Bool) async throws -> ImageResult {
        let location = service.store.location
        let records = ContainerStore(location: location).all()
        let usedIDs = Set(records.map(\.imageID))
        var result = ImageResult()
        var deleted: [Digest] = []
        if all {
            for image in try await service.images() where !usedIDs.contains(image.id.description) {
                for reference in image.references where try await service.store.untag(reference) {
                    result.lines.append("untagged: \(reference.familiar)")
                }
                deleted.append(image.id)
            }
        }
        var keep = Set<Digest>()
        for image in try await service.danglingImages() {
            if usedIDs.contains(image.id.description) {
                keep.insert(image.manifestDescriptor.digest)
                keep.insert(image.id)
                keep.formUnion(image.layers.map(\.digest))
            } else if !deleted.contains(image.id) {
                deleted.append(image.id)
            }
        }
        result.lines += deleted.map { "deleted: \($0)" }
        let report = try await service.store.prune(keeping: keep)
        result.blobBytes = report.reclaimedBytes
        result.snapshotBytes = try await removeSnapshots(service, containers: records)
        return result
    }

    struct CacheResult {
        var removed: [String] = []
        var bytes: Int64 = 0
    }

    /// Removes dangling build cache records (with `all`, every record and the cache mounts), the
    /// layers only they kept, and unneeded snapshots.
    static func buildCache(_ service: ImageService, all: Bool) async throws -> CacheResult {
        let store = service.store
        let imageIDs = Set(try await service.images().map(\.id))
        let inUse = all ? [] : store.buildCacheKeys(usedByImages: imageIDs)
        let doomed = store.buildCacheEntries().filter { !inUse.contains($0.key) }
        var result = CacheResult()
        result.removed = doomed.map(\.key)
        store.removeBuildCacheEntries(result.removed)
        store.removeBuildNotes(keeping: all ? [] : imageIDs)
        let report = try await store.prune(keeping: try service.danglingBlobs())
        result.bytes = report.reclaimedBytes
        result.bytes += try await removeSnapshots(service, containers: ContainerStore(location: store.location).all())
        if all {
            let mounts = store.location.stateDirectory.appendingPathComponent("cache-mounts")
            result.bytes += SystemDiskUsage.treeSize(mounts)
            _ = CacheMounts.prune(stateDirectory: store.location.stateDirectory)
        }
        return result
    }

    /// Removes snapshots no image or container uses; the bytes they held.
    static func removeSnapshots(_ service: ImageService, containers: [ContainerRecord]) async throws -> Int64 {
        let inUse = Set(containers.flatMap(\.lowerDirs))
        var used = Set<Digest>()
        for image in try await service.images() {
            used.formUnion(ChainID.computeAll(diffIDs: image.config.rootfs.diffIDs))
        }
        var bytes: Int64 = 0
        for chainID in service.store.snapshots() where !used.contains(chainID) && !inUse.contains(service.store.snapshotPath(chainID).path) {
            bytes += SystemDiskUsage.treeSize(service.store.snapshotPath(chainID))
        }
        _ = try await service.removeUnusedSnapshots(keepingPaths: inUse)
        return bytes
    }
}

/// `kiln container prune [-f]`.
struct ContainerPruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove all stopped containers")

    @OptionGroup var store: StoreOptions
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation")
    var force = false

    func run() async throws {
        guard Prune.confirm("WARNING! This will remove all stopped containers.", force: force) else { return }
        let result = Prune.containers(try store.location())
        Prune.printSection("Deleted Containers", result.removed)
        printOut("Total reclaimed space: \(HumanUnits.size4(result.bytes))")
    }
}

/// `kiln image prune [-a] [-f]`.
struct ImagePruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove unused images")

    @OptionGroup var store: StoreOptions
    @Flag(name: .shortAndLong, help: "Remove all unused images, not just dangling ones")
    var all = false
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation")
    var force = false

    func run() async throws {
        let warning = all ? "WARNING! This will remove all images without at least one container associated to them."
            : "WARNING! This will remove all dangling images."
        guard Prune.confirm(warning, force: force) else { return }
        let result = try await ImageCommandSupport.withService(store) { try await Prune.images($0, all: all) }
        Prune.printSection("Deleted Images", result.lines)
        printOut("Total reclaimed space: \(HumanUnits.size4(result.blobBytes + result.snapshotBytes))")
    }
}

/// `kiln builder prune [-a] [-f]`.
struct BuilderPruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove build cache")

    @OptionGroup var store: StoreOptions
    @Flag(name: .shortAndLong, help: "Remove all unused build cache, not just dangling ones")
    var all = false
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation")
    var force = false

    func run() async throws {
        let warning = all ? "WARNING! This will remove all build cache."
            : "WARNING! This will remove all dangling build cache (steps of no image in the store)."
        guard Prune.confirm(warning, force: force) else { return }
        let result = try await ImageCommandSupport.withService(store) { try await Prune.buildCache($0, all: all) }
        Prune.printSection("Deleted build cache objects", result.removed, blankLine: false)
        printOut("Total reclaimed space: \(HumanUnits.size4(result.bytes))")
    }
}

/// `kiln system prune [-a] [-f] [--volumes]` (also `kiln prune`): stopped containers, dangling
/// images (`-a`: unused ones), dangling build cache (`-a`: all of it). kiln has no networks or
/// named volumes, so `--volumes` removes nothing more.
struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove unused data")

    @OptionGroup var store: StoreOptions
    @Flag(name: .shortAndLong, help: "Remove all unused images and all build cache, not just dangling ones")
    var all = false
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation")
    var force = false
    @Flag(help: "Prune volumes (kiln has no named volumes: nothing more is removed)")
    var volumes = false
    @Flag(name: .customLong("cache-mounts"), help: "Also remove the RUN --mount=type=cache directories")
    var cacheMounts = false

    func run() async throws {
        var warning = "WARNING! This will remove:\n  - all stopped containers\n"
        warning += all ? "  - all images without at least one container associated to them\n  - all build cache\n"
            : "  - all dangling images\n  - all dangling build cache\n"
        if cacheMounts && !all { warning += "  - all RUN cache mounts\n" }
        guard Prune.confirm(warning, force: force) else { return }
        let location = try store.location()
        let containers = Prune.containers(location)
        let (images, cache) = try await ImageCommandSupport.withService(store) { service in
            let images = try await Prune.images(service, all: all)
            var cache = try await Prune.buildCache(service, all: all)
            if cacheMounts && !all {
                cache.bytes += SystemDiskUsage.treeSize(location.stateDirectory.appendingPathComponent("cache-mounts"))
                _ = CacheMounts.prune(stateDirectory: location.stateDirectory)
            }
            return (images, cache)
        }
        Prune.printSection("Deleted Containers", containers.removed)
        Prune.printSection("Deleted Images", images.lines)
        Prune.printSection("Deleted build cache objects", cache.removed)
        let total = containers.bytes + images.blobBytes + images.snapshotBytes + cache.bytes
        printOut("Total reclaimed space: \(HumanUnits.size4(total))")
    }
}

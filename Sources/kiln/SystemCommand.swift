import Builder
import ArgumentParser
import Foundation
import ImageSpec
import ImageStore
import Images

/// `kiln system df|check|prune`.
struct SystemCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "system", abstract: "Manage the image store",
        subcommands: [SystemDiskUsage.self, SystemCheck.self, PruneCommand.self]
    )
}

/// `kiln system df [-v]`, as `docker system df`: store space, per image with shared and unique size.
struct SystemDiskUsage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "df", abstract: "Show the store's disk usage")

    @OptionGroup var store: StoreOptions

    @Flag(name: .shortAndLong, help: "Show detailed information on space usage")
    var verbose = false

    func run() async throws {
        let (usage, images, snapshotBytes, snapshotCount) = try await ImageCommandSupport.withService(store) { service in
            let usage = try service.store.diskUsage()
            let images = try await service.images()
            var bytes: Int64 = 0
            let snapshots = service.store.snapshots()
            for chainID in snapshots { bytes += Self.treeSize(service.store.snapshotPath(chainID)) }
            return (usage, images, bytes, snapshots.count)
        }
        let active = Set(usage.images.map(\.descriptor.digest))
        var table = TableWriter()
        table.add(["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"])
        let reclaimable = usage.unreferencedBytes
        let percent = usage.totalBlobBytes > 0 ? Int(Double(reclaimable) * 100 / Double(usage.totalBlobBytes)) : 0
        table.add(["Images", "\(images.count)", "\(active.count)", HumanUnits.size4(usage.totalBlobBytes), "\(HumanUnits.size4(reclaimable)) (\(percent)%)"])
        table.add(["Build Cache", "\(snapshotCount)", "0", HumanUnits.size4(snapshotBytes), HumanUnits.size4(snapshotBytes)])
        printOut(table.render())
        guard verbose else { return }
        printOut("\nImages space usage:\n")
        var detail = TableWriter()
        detail.add(["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE", "UNIQUE SIZE", "CONTAINERS"])
        for entry in usage.images {
            let image = images.first { $0.references.contains(entry.reference) }
            detail.add([entry.reference.familiarName, entry.reference.tag ?? "<none>", image?.shortID() ?? String(entry.descriptor.digest.hex.prefix(12)),
                        HumanUnits.ago(image?.config.created?.date), HumanUnits.size4(entry.totalSize),
                        HumanUnits.size4(entry.sharedSize), HumanUnits.size4(entry.uniqueSize), "0"])
        }
        printOut(detail.render())
    }

    static func treeSize(_ url: URL) -> Int64 {
        var total: Int64 = 0
        let enumerator = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey])
        while let item = enumerator?.nextObject() as? URL {
            if let values = try? item.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey]), values.isRegularFile == true {
                total += Int64(values.fileSize ?? 0)
            }
        }
        return total
    }
}

/// `kiln system check [--repair]`: verifies every blob and reference, and that every layer
/// decompresses to its config's diff_id; exit status 1 on problems.
struct SystemCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Verify the image store")

    @OptionGroup var store: StoreOptions

    @Flag(help: "Delete leftover temporary files instead of reporting them")
    var repair = false

    func run() async throws {
        let report = try await ImageCommandSupport.withService(store) { service in
            var report = try await service.store.check(removingStrayFiles: repair)
            report.problems += try await service.verifyLayerContents()
            return report
        }
        for path in report.removed { printError("removed \(path)") }
        for problem in report.problems { printOut("problem: \(problem)") }
        if report.isHealthy {
            printOut("Verified \(report.blobsVerified) blobs: no problems found")
        } else {
            printOut("Verified \(report.blobsVerified) blobs: \(report.problems.count) problem(s) found")
            throw ExitCode(1)
        }
    }
}

/// `kiln prune [-f]` (also `kiln system prune`): removes blobs no image needs, unused snapshots
/// and stale temp files, as `docker image prune`.
struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove unused data")

    @OptionGroup var store: StoreOptions

    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation")
    var force = false

    @Flag(name: .customLong("cache-mounts"), help: "Also remove the RUN --mount=type=cache directories")
    var cacheMounts = false

    func run() async throws {
        if !force {
            FileHandle.standardOutput.write(Data("WARNING! This will remove all dangling images and unused layer snapshots.\nAre you sure you want to continue? [y/N] ".utf8))
            let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
            guard answer == "y" || answer == "yes" else { return }
        }
        let (report, snapshots) = try await ImageCommandSupport.withService(store) { service in
            let report = try await service.store.prune()
            // Containers' lower layers stay, even when their image is gone.
            let inUse = Set(ContainerStore(location: service.store.location).all().flatMap(\.lowerDirs))
            let snapshots = try await service.removeUnusedSnapshots(keepingPaths: inUse)
            if cacheMounts {
                let removed = CacheMounts.prune(stateDirectory: service.store.location.stateDirectory)
                printOut("Deleted cache mounts: \(removed)")
            }
            return (report, snapshots)
        }
        if !report.removedBlobs.isEmpty || !snapshots.isEmpty {
            printOut("Deleted Images:")
            for digest in report.removedBlobs { printOut("deleted: \(digest)") }
            for chainID in snapshots { printOut("deleted: \(chainID)") }
            printOut("")
        }
        printOut("Total reclaimed space: \(HumanUnits.size4(report.reclaimedBytes))")
    }
}

import Builder
import ArgumentParser
import Containers
import DockerfileSyntax
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

/// `kiln system df [-v]`, as `docker system df`: four rows (Images, Containers, Local Volumes,
/// Build Cache) with Docker's arithmetic.
/// - Images: every image (dangling ones too); ACTIVE those a container uses; SIZE the
///   uncompressed size of all their layers, each layer counted once; RECLAIMABLE SIZE less, for
///   each active image, its size minus its shared size (Docker's formula), with the percentage.
/// - Containers: ACTIVE the running ones; SIZE their writable layers; RECLAIMABLE the stopped ones'.
/// - Local Volumes: kiln has no named volumes (bind mounts are not counted, as in Docker).
/// - Build Cache: the build step records; SIZE the uncompressed layers that no image holds
///   (layers images hold are counted with the images, as Docker marks them shared); none is
///   ACTIVE once no build runs, so all of it is RECLAIMABLE.
struct SystemDiskUsage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "df", abstract: "Show kiln disk usage")

    @OptionGroup var store: StoreOptions

    @Flag(name: .shortAndLong, help: "Show detailed information on space usage")
    var verbose = false

    struct ImageRow {
        var image: LocalImage
        var size: Int64
        var sharedSize: Int64
        var containers: Int
    }

    struct CacheRow {
        var entry: BuildCacheEntry
        var size: Int64
        var shared: Bool
        var inUse: Bool
    }

    func run() async throws {
        let location = try store.location()
        let containerStore = ContainerStore(location: location)
        let records = containerStore.all()
        let (imageRows, layersSize, cacheRows) = try await ImageCommandSupport.withService(store) { service in
            let images = try await service.images() + (try await service.danglingImages())
            // Layer sizes by chain ID, and how many images hold each layer.
            var layerSize: [Digest: Int64] = [:]
            var holders: [Digest: Int] = [:]
            var chains: [[Digest]] = []
            for image in images {
                let sizes = service.uncompressedLayerSizes(for: image)
                let chainIDs = ChainID.computeAll(diffIDs: image.diffIDs)
                chains.append(chainIDs)
                for (chainID, size) in zip(chainIDs, sizes) {
                    layerSize[chainID] = size
                    holders[chainID, default: 0] += 1
                }
            }
            let rows = zip(images, chains).map { image, chainIDs in
                let size = chainIDs.reduce(Int64(0)) { $0 + (layerSize[$1] ?? 0) }
                let shared = chainIDs.filter { (holders[$0] ?? 0) > 1 }.reduce(Int64(0)) { $0 + (layerSize[$1] ?? 0) }
                return ImageRow(image: image, size: size, sharedSize: shared,
                                containers: records.filter { $0.imageID == image.id.description }.count)
            }
            let imageLayers = Set(images.flatMap { $0.layers.map(\.digest) })
            let inUse = service.store.buildCacheKeys(usedByImages: Set(images.map(\.id)))
            var seen = Set<Digest>()
            let cache = service.store.buildCacheEntries().reversed().map { entry in
                let shared = imageLayers.contains(entry.layer.digest) || !service.store.contains(entry.layer.digest)
                let first = seen.insert(entry.layer.digest).inserted
                let size = shared || !first ? 0 : service.uncompressedSize(ofLayer: entry.layer)
                return CacheRow(entry: entry, size: size, shared: shared, inUse: inUse.contains(entry.key))
            }
            return (rows, layerSize.values.reduce(0, +), Array(cache))
        }
        // Images.
        var used: Int64 = 0
        for row in imageRows where row.containers > 0 { used += row.size - row.sharedSize }
        let imageReclaimable = layersSize - used
        // Containers.
        var containerRows: [(ContainerRecord, ContainerState, Int64)] = []
        for record in records {
            containerRows.append((record, containerStore.state(record.id), Self.treeSize(containerStore.folder(record.id).appendingPathComponent("upper"))))
        }
        let containerSize = containerRows.reduce(Int64(0)) { $0 + $1.2 }
        let containerReclaimable = containerRows.filter { $0.1.status != "running" }.reduce(Int64(0)) { $0 + $1.2 }
        let cacheSize = cacheRows.reduce(Int64(0)) { $0 + $1.size }

        var table = TableWriter()
        table.add(["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"])
        table.add(["Images", "\(imageRows.count)", "\(imageRows.filter { $0.containers > 0 }.count)",
                   HumanUnits.size4(layersSize), Self.withPercent(imageReclaimable, of: layersSize)])
        table.add(["Containers", "\(containerRows.count)", "\(containerRows.filter { $0.1.status == "running" }.count)",
                   HumanUnits.size4(containerSize), Self.withPercent(containerReclaimable, of: containerSize)])
        table.add(["Local Volumes", "0", "0", "0B", "0B"])
        table.add(["Build Cache", "\(cacheRows.count)", "0", HumanUnits.size4(cacheSize), HumanUnits.size4(cacheSize)])
        printOut(table.render())
        guard verbose else { return }

        printOut("\nImages space usage:\n")
        var images = TableWriter()
        images.add(["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE", "UNIQUE SIZE", "CONTAINERS"])
        for row in imageRows {
            let tags = row.image.references.filter { $0.tag != nil && $0.digest == nil }
            let names = tags.isEmpty ? [("<none>", "<none>")] : tags.map { ($0.familiarName, $0.tag ?? "<none>") }
            for (repository, tag) in names {
                images.add([repository, tag, row.image.shortID(), HumanUnits.ago(row.image.config.created?.date),
                            HumanUnits.size4(row.size), HumanUnits.size4(row.sharedSize),
                            HumanUnits.size4(row.size - row.sharedSize), "\(row.containers)"])
            }
        }
        printOut(images.render())

        printOut("\nContainers space usage:\n")
        var containers = TableWriter()
        containers.add(["CONTAINER ID", "IMAGE", "COMMAND", "LOCAL VOLUMES", "SIZE", "CREATED", "STATUS", "NAMES"])
        for (record, state, size) in containerRows {
            containers.add([record.shortID, record.image, GoQuote.quote(HumanUnits.ellipsis(record.listCommand, 20)), "0",
                            HumanUnits.size4(size), HumanUnits.ago(record.created), PsCommand.status(record, state), record.name])
        }
        printOut(containers.render())

        printOut("\nLocal Volumes space usage:\n")
        var volumes = TableWriter()
        volumes.add(["VOLUME NAME", "LINKS", "SIZE"])
        printOut(volumes.render())

        printOut("\nBuild cache usage: \(HumanUnits.size4(cacheSize))\n")
        var cache = TableWriter()
        cache.add(["CACHE ID", "CACHE TYPE", "SIZE", "CREATED", "LAST USED", "USAGE", "SHARED"])
        for row in cacheRows {
            cache.add([String(row.entry.key.prefix(25)), "regular", HumanUnits.size4(row.size), HumanUnits.ago(row.entry.created),
                       HumanUnits.ago(row.entry.created), row.inUse ? "1" : "0", row.shared ? "true" : "false"])
        }
        printOut(cache.render())
    }

    /// `SIZE (N%)`, Docker's integer percentage; just the size when the total is zero.
    static func withPercent(_ part: Int64, of total: Int64) -> String {
        total > 0 ? "\(HumanUnits.size4(part)) (\(part * 100 / total)%)" : HumanUnits.size4(part)
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

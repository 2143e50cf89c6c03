import ArgumentParser
import Foundation
import ImageSpec
import Images

/// `kiln images [-q] [--digests] [--no-trunc] [--format json] [REPOSITORY[:TAG]]`, as `docker images`.
struct ImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images", abstract: "List images")

    @OptionGroup var store: StoreOptions

    @Flag(name: .shortAndLong, help: "Only show image IDs")
    var quiet = false

    @Flag(help: "Show digests")
    var digests = false

    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output")
    var noTrunc = false

    @Option(help: ArgumentHelp("Format output: 'table' (default) or 'json' (one object per line)", valueName: "string"))
    var format: String?

    @Argument(help: ArgumentHelp("Only images of this repository (and tag)", valueName: "REPOSITORY[:TAG]"))
    var filter: String?

    struct Row {
        var repository: String
        var tag: String
        var digest: String
        var image: LocalImage
        var size: Int64
    }

    func run() async throws {
        let rows = try await ImageCommandSupport.withService(store) { service in
            try await self.rows(service)
        }
        if quiet {
            for row in rows { printOut(row.image.shortID(truncated: !noTrunc)) }
            return
        }
        if format == "json" {
            for row in rows { printOut(json(row).compact) }
            return
        }
        var table = TableWriter()
        table.add(digests ? ["REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"] : ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"])
        for row in rows {
            var cells = [row.repository, row.tag]
            if digests { cells.append(row.digest) }
            cells += [row.image.shortID(truncated: !noTrunc), HumanUnits.ago(row.image.config.created?.date), HumanUnits.size(row.size)]
            table.add(cells)
        }
        printOut(table.render())
    }

    func rows(_ service: ImageService) async throws -> [Row] {
        let wanted = filter.flatMap { try? ImageReference(parsing: $0, addingDefaultTag: false) }
        var rows: [Row] = []
        for image in try await service.images() {
            let size = service.uncompressedSize(of: image)
            for reference in image.references {
                if let wanted {
                    guard wanted.name == reference.name else { continue }
                    if let tag = wanted.tag, tag != reference.tag { continue }
                }
                let digest = image.repoDigests.first { $0.name == reference.name }?.digest ?? reference.digest
                rows.append(Row(repository: reference.familiarName, tag: reference.tag ?? "<none>",
                                digest: digest?.description ?? "<none>", image: image, size: size))
            }
        }
        return rows
    }

    func json(_ row: Row) -> GoJSON {
        .object([
            ("Containers", .string("N/A")),
            ("CreatedAt", .string(row.image.config.created.map { Self.goTime($0.date) } ?? "")),
            ("CreatedSince", .string(HumanUnits.ago(row.image.config.created?.date))),
            ("Digest", .string(row.digest)),
            ("ID", .string(row.image.shortID(truncated: !noTrunc))),
            ("Repository", .string(row.repository)),
            ("SharedSize", .string("N/A")),
            ("Size", .string(HumanUnits.size(row.size))),
            ("Tag", .string(row.tag)),
            ("UniqueSize", .string("N/A")),
            ("VirtualSize", .string(HumanUnits.size4(row.size))),
        ])
    }

    /// Go's `time.Time.String()` at second precision in the local zone: `2023-05-19 20:30:05 +0000 UTC`.
    static func goTime(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone.current
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss xx"
        var zone = TimeZone.current.abbreviation(for: date) ?? "UTC"
        if zone == "GMT" { zone = "UTC" }
        return formatter.string(from: Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))) + " " + zone
    }
}

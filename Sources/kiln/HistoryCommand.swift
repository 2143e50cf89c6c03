import ArgumentParser
import Foundation
import ImageSpec
import Images

/// `kiln history [--no-trunc] [-q] [--format json] IMAGE`, as `docker history`: newest step first,
/// the image ID on the top row and `<missing>` below, empty layers `0B`.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Show the history of an image")

    @OptionGroup var store: StoreOptions

    @Flag(name: .shortAndLong, help: "Only show image IDs")
    var quiet = false

    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output")
    var noTrunc = false

    @Option(help: ArgumentHelp("Format output: 'table' (default) or 'json' (one object per line)", valueName: "string"))
    var format: String?

    @Argument(help: "The image")
    var image: String

    struct Row {
        var id: String
        var created: Date?
        var createdBy: String
        var size: Int64
        var comment: String
    }

    func run() async throws {
        let rows = try await ImageCommandSupport.withService(store) { service in
            let local = try await ImageCommandSupport.image(service, image)
            return Self.rows(local, layerSizes: service.uncompressedLayerSizes(for: local), truncated: !noTrunc)
        }
        if quiet {
            for row in rows { printOut(row.id) }
            return
        }
        if format == "json" {
            for row in rows { printOut(json(row).compact) }
            return
        }
        var table = TableWriter()
        table.add(["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"])
        for row in rows {
            table.add([row.id, HumanUnits.ago(row.created), createdBy(row), HumanUnits.size(row.size), row.comment])
        }
        printOut(table.render())
    }

    func createdBy(_ row: Row) -> String {
        let text = row.createdBy.replacingOccurrences(of: "\t", with: " ")
        return noTrunc ? text : HumanUnits.ellipsis(text, 45)
    }

    /// History entries newest first, each non-empty one matched with its layer's size.
    static func rows(_ image: LocalImage, layerSizes: [Int64], truncated: Bool) -> [Row] {
        var rows: [Row] = []
        var layer = 0
        var history = image.config.history
        if history.isEmpty { history = layerSizes.map { _ in History() } }
        for entry in history {
            var size: Int64 = 0
            if !entry.emptyLayer {
                size = layer < layerSizes.count ? layerSizes[layer] : 0
                layer += 1
            }
            rows.append(Row(id: "<missing>", created: entry.created?.date, createdBy: entry.createdBy ?? "", size: size, comment: entry.comment ?? ""))
        }
        rows.reverse()
        if !rows.isEmpty { rows[0].id = image.shortID(truncated: truncated) }
        return rows
    }

    func json(_ row: Row) -> GoJSON {
        let created = row.created.map { date -> String in
            let formatter = ISO8601DateFormatter()
            formatter.timeZone = TimeZone.current
            return formatter.string(from: date)
        } ?? ""
        return .object([
            ("Comment", .string(row.comment)),
            ("CreatedAt", .string(created)),
            ("CreatedBy", .string(createdBy(row))),
            ("CreatedSince", .string(HumanUnits.ago(row.created))),
            ("ID", .string(row.id)),
            ("Size", .string(HumanUnits.size(row.size))),
        ])
    }
}

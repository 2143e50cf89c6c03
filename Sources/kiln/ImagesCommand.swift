import ArgumentParser
import Foundation
import ImageSpec
import Images

/// `kiln images [-a] [-q] [--digests] [--no-trunc] [--filter K=V]... [--format F] [REPOSITORY[:TAG]]`,
/// as `docker images`: tagged images and dangling ones (`<none>:<none>`, an image whose tag moved
/// to a newer build). kiln keeps no intermediate images, so `-a` lists the same. Filters:
/// `dangling=true|false`, `reference=PATTERN` (glob on `name` or `name:tag`), `label=KEY[=VALUE]`,
/// `before=IMAGE`, `since=IMAGE`. A tag naming a multi-platform image (an index) is one entry; the
/// default table stays Docker's, and `--format '{{.Platform}}'` (and `json`) gives its platforms,
/// `linux/amd64,linux/arm64` (for a single image, its own platform).
struct ImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images", abstract: "List images")

    @OptionGroup var store: StoreOptions

    @Flag(name: .shortAndLong, help: "Show all images (kiln keeps no intermediate images: the same list)")
    var all = false

    @Flag(name: .shortAndLong, help: "Only show image IDs")
    var quiet = false

    @Option(name: .shortAndLong, help: ArgumentHelp("Filter output based on conditions provided", valueName: "filter"))
    var filter: [String] = []

    @Flag(help: "Show digests")
    var digests = false

    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output")
    var noTrunc = false

    @Option(help: ArgumentHelp("Pretty-print images using a Go template, 'table', 'table TEMPLATE' or 'json'", valueName: "string"))
    var format: String?

    @Argument(help: ArgumentHelp("Only images of this repository (and tag)", valueName: "REPOSITORY[:TAG]"))
    var repository: String?

    static let headers: [String: String] = [
        "Containers": "CONTAINERS", "CreatedAt": "CREATED AT", "CreatedSince": "CREATED", "Digest": "DIGEST", "ID": "IMAGE ID",
        "Platform": "PLATFORM", "Repository": "REPOSITORY", "SharedSize": "SHARED SIZE", "Size": "SIZE", "Tag": "TAG", "UniqueSize": "UNIQUE SIZE",
        "VirtualSize": "VIRTUAL SIZE",
    ]

    struct Row {
        var repository: String
        var tag: String
        var digest: String
        var image: LocalImage
        var size: Int64
        /// `linux/amd64,linux/arm64` for a tag naming an index, else the image's own platform.
        var platform: String
    }

    func run() async throws {
        let filters = try ListFilters(filter, allowed: ["dangling", "reference", "label", "before", "since"])
        for value in filters.values["dangling"] ?? [] where value != "true" && value != "false" {
            printError("kiln: error: invalid filter 'dangling=\(value)'")
            throw ExitCode(1)
        }
        let output = try OutputFormat(format)
        let rows = try await ImageCommandSupport.withService(store) { service in
            try await self.rows(service, filters: filters)
        }
        if quiet {
            for row in rows { printOut(row.image.shortID(truncated: !noTrunc)) }  // one per row, as Docker
            return
        }
        if let text = try output.render(rows.map(json), headers: Self.headers) {
            if !text.isEmpty { printOut(text) }
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

    func rows(_ service: ImageService, filters: ListFilters) async throws -> [Row] {
        let wanted = repository.flatMap { try? ImageReference(parsing: $0, addingDefaultTag: false) }
        let tagged = try await service.images()
        let dangling = wanted == nil ? try await service.danglingImages() : []
        let everything = tagged + dangling
        func created(_ name: String) async throws -> Double {
            guard let image = try await service.localImage(name) else {
                throw ImagesError(.noSuchImage, "No such image: \(name)")
            }
            return Double(image.config.created?.secondsSinceEpoch ?? 0)
        }
        var before: Double?, since: Double?
        if let name = filters.values["before"]?.first { before = try await created(name) }
        if let name = filters.values["since"]?.first { since = try await created(name) }
        var indexPlatforms: [ImageReference: String] = [:]
        for tagged in (try? service.store.list()) ?? [] where tagged.descriptor.mediaType.isIndex {
            let platforms = service.platforms(of: tagged.descriptor)
            if !platforms.isEmpty { indexPlatforms[tagged.reference] = platforms.map(\.description).joined(separator: ",") }
        }
        var rows: [Row] = []
        for image in everything.sorted(by: { ($0.config.created?.secondsSinceEpoch ?? 0) > ($1.config.created?.secondsSinceEpoch ?? 0) }) {
            let time = Double(image.config.created?.secondsSinceEpoch ?? 0)
            if let before, time >= before { continue }
            if let since, time <= since { continue }
            guard filters.matchLabels(image.config.config.labels) else { continue }
            let isDangling = image.references.isEmpty
            guard filters.match("dangling", { ($0 == "true") == isDangling }) else { continue }
            let size = service.uncompressedSize(of: image)
            if isDangling {
                guard !filters.has("reference") else { continue }
                rows.append(Row(repository: "<none>", tag: "<none>", digest: "<none>", image: image, size: size,
                                platform: image.config.platform.description))
                continue
            }
            for reference in image.references {
                if let wanted {
                    guard wanted.name == reference.name else { continue }
                    if let tag = wanted.tag, tag != reference.tag { continue }
                }
                guard filters.match("reference", { Self.referenceMatches($0, reference) }) else { continue }
                let digest = image.repoDigests.first { $0.name == reference.name }?.digest ?? reference.digest
                rows.append(Row(repository: reference.familiarName, tag: reference.tag ?? "<none>",
                                digest: digest?.description ?? "<none>", image: image, size: size,
                                platform: indexPlatforms[reference] ?? image.config.platform.description))
            }
        }
        return rows
    }

    /// Docker's `reference=` filter: a glob (`*`, `?`, `[...]`) on the familiar name, or on
    /// `name:tag` when the pattern has a tag.
    static func referenceMatches(_ pattern: String, _ reference: ImageReference) -> Bool {
        let name = reference.familiarName
        let lastSlash = pattern.lastIndex(of: "/") ?? pattern.startIndex
        if pattern[lastSlash...].contains(":") {
            return fnmatch(pattern, name + ":" + (reference.tag ?? ""), FNM_PATHNAME) == 0
        }
        return fnmatch(pattern, name, FNM_PATHNAME) == 0
    }

    func json(_ row: Row) -> GoJSON {
        .object([
            ("Containers", .string("N/A")),
            ("CreatedAt", .string(row.image.config.created.map { Self.goTime($0.date) } ?? "")),
            ("CreatedSince", .string(HumanUnits.ago(row.image.config.created?.date))),
            ("Digest", .string(row.digest)),
            ("ID", .string(row.image.shortID(truncated: !noTrunc))),
            ("Platform", .string(row.platform)),
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

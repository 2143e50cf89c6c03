import ArgumentParser

/// Docker's `--format` of list commands (`ps`, `images`): `table` (the default table), `json` (one
/// object per line), `table TEMPLATE` (a header row, then the template per item, columns split at
/// tabs and aligned as Docker's tabwriter does), or a bare TEMPLATE (its text per item). As in
/// Docker's CLI, the two-character sequences `\t` and `\n` in the format become a tab and a newline.
struct OutputFormat {
    enum Kind {
        case defaultTable
        case json
        case template(GoTemplate, table: Bool)
    }

    let kind: Kind

    /// Parses the format; a template error prints `kiln: error: template parsing error: …` and exits 1.
    init(_ text: String?) throws {
        guard var text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty, text != "table" else {
            kind = .defaultTable
            return
        }
        if text == "json" {
            kind = .json
            return
        }
        var table = false
        if text.hasPrefix("table ") {
            table = true
            text = String(text.dropFirst(6))
        }
        text = text.replacingOccurrences(of: "\\t", with: "\t").replacingOccurrences(of: "\\n", with: "\n")
        kind = .template(try Self.parse(text), table: table)
    }

    static func parse(_ text: String) throws -> GoTemplate {
        do {
            return try GoTemplate(text)
        } catch {
            printError("kiln: error: template parsing error: \(error)")
            throw ExitCode(1)
        }
    }

    static func execute(_ template: GoTemplate, _ value: GoJSON) throws -> String {
        do {
            return try template.execute(value)
        } catch {
            printError("kiln: error: \(error)")
            throw ExitCode(1)
        }
    }

    var isDefault: Bool {
        if case .defaultTable = kind { return true }
        return false
    }

    /// The text to print for `items` (nil for the default table, which the command draws itself);
    /// `headers` maps each field name to its column title.
    func render(_ items: [GoJSON], headers: [String: String]) throws -> String? {
        switch kind {
        case .defaultTable:
            return nil
        case .json:
            return items.map { GoTemplate.jsonText($0) }.joined(separator: "\n")
        case .template(let template, let table):
            if table {
                var writer = TableWriter()
                let header = GoJSON.map(headers.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
                writer.add((try? template.execute(header))?.components(separatedBy: "\t") ?? [])
                for item in items {
                    for line in try Self.execute(template, item).components(separatedBy: "\n") {
                        writer.add(line.components(separatedBy: "\t"))
                    }
                }
                return writer.render()
            }
            return try items.map { try Self.execute(template, $0) }.joined(separator: "\n")
        }
    }
}

import BuildChecks
import DockerfileSyntax
import Foundation

/// Renders `kiln check` findings as located diagnostics or as JSON.
struct CheckReport {
    var file: String
    var source: String
    var findings: [Finding]

    /// The source with every secret found in it masked, so no diagnostic line reveals one.
    var safeSource: String {
        let ranges = findings.filter { $0.rule == "SecretInDockerfile" }.compactMap(\.range)
        return SecretDetector.masking(source, ranges: ranges)
    }

    /// Diagnostics with help on stdout, then a summary; nothing but a short OK on stderr without findings.
    func printText() {
        guard !findings.isEmpty else {
            printError("\(file): no problems found")
            return
        }
        let shown = safeSource
        for finding in findings {
            var text = DiagnosticRenderer.render(
                file: file, source: shown, range: finding.range, severity: finding.severity,
                message: "\(finding.rule): \(finding.message)")
            if let help = finding.help { text += "\n  = help: \(help)" }
            if let url = finding.url { text += "\n  = see: \(url)" }
            print(text + "\n")
        }
        print(summary)
    }

    var summary: String {
        let errors = findings.filter { $0.severity == .error }.count
        let warnings = findings.count - errors
        var parts: [String] = []
        if warnings > 0 { parts.append("\(warnings) warning\(warnings == 1 ? "" : "s")") }
        if errors > 0 { parts.append("\(errors) error\(errors == 1 ? "" : "s")") }
        return parts.joined(separator: " and ") + " found in \(file)"
    }

    /// A JSON array of objects: rule, severity, message, file, line, column, endLine, help, url.
    func json() -> String {
        let objects: [[String: Any]] = findings.map { finding in
            [
                "rule": finding.rule,
                "severity": finding.severity.rawValue,
                "message": finding.message,
                "file": file,
                "line": finding.range.map { $0.start.line as Any } ?? NSNull(),
                "column": finding.range.map { $0.start.column as Any } ?? NSNull(),
                "endLine": finding.range.map { $0.end.line as Any } ?? NSNull(),
                "help": finding.help.map { $0 as Any } ?? NSNull(),
                "url": finding.url.map { $0 as Any } ?? NSNull(),
            ]
        }
        guard !objects.isEmpty else { return "[]" }
        let data = (try? JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

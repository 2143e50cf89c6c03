import Audit
import Foundation

/// `kiln audit`'s human-readable output: a summary, the findings table, wasted space, largest files.
enum AuditTable {
    static func render(_ report: AuditReport) -> String {
        var lines: [String] = []
        lines.append("Image: \(report.image)  \(report.manifestDigest ?? report.configDigest ?? "")  \(report.platform)")
        let base = report.baseLayers.map { "\($0) base layer(s)" } ?? "base layers unknown"
        lines.append("Layers: \(report.layers.count) (\(base)), packages: \(report.packages.count)")
        let counts = AuditSeverity.allCases.reversed().map { severity in "\(report.findings.filter { $0.severity == severity }.count) \(severity.rawValue)" }
        lines.append("Findings: \(report.findings.count) (\(counts.joined(separator: ", ")))")
        lines += AuditAttestations.lines(report.attestations)
        lines.append("")
        if !report.findings.isEmpty {
            var table = TableWriter()
            table.add(["SEVERITY", "CATEGORY", "LAYER", "RULE", "FINDING"])
            for finding in report.findings {
                table.add([finding.severity.rawValue.uppercased(), finding.category.rawValue, finding.layer.map(String.init) ?? "-", finding.rule, finding.message])
            }
            lines.append(table.render())
            lines.append("")
        }
        let waste = report.waste
        let score = String(format: "%.4f", waste.efficiency * 100)
        lines.append("Efficiency (dive): \(score) %   wasted (dive): \(HumanUnits.size(waste.wastedBytes))   user size: \(HumanUnits.size(waste.userSizeBytes))   hidden by later layers: \(HumanUnits.size(waste.hiddenBytes))")
        if !waste.inefficiencies.isEmpty {
            var table = TableWriter()
            table.add(["COUNT", "TOTAL SPACE", "PATH"])
            for item in waste.inefficiencies { table.add([String(item.count), HumanUnits.size(item.cumulativeSize), item.path]) }
            lines.append(table.render())
        }
        lines.append("")
        var layers = TableWriter()
        layers.add(["LAYER", "SIZE", "HIDDEN LATER", "CREATED BY"])
        for layer in report.layers {
            layers.add([String(layer.index) + (layer.fromBase == true ? " (base)" : ""), HumanUnits.size(layer.contentSize), HumanUnits.size(layer.hiddenBytes),
                        HumanUnits.ellipsis((layer.instruction ?? "").replacingOccurrences(of: "\t", with: " "), 70)])
        }
        lines.append(layers.render())
        if !report.largestFiles.isEmpty {
            lines.append("")
            var table = TableWriter()
            table.add(["LARGEST FILES", "SIZE", "LAYER"])
            for file in report.largestFiles { table.add([file.path, HumanUnits.size(file.size), String(file.layer)]) }
            lines.append(table.render())
        }
        return lines.joined(separator: "\n")
    }
}

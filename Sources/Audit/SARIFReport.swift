import Foundation

/// SARIF 2.1.0 output of an audit, for code-scanning dashboards: one rule per finding kind,
/// one result per finding, located at the file's path in the image (or the image itself).
public enum SARIFReport {
    public static func render(_ report: AuditReport, toolVersion: String) throws -> Data {
        let ruleIDs = Array(Set(report.findings.map(\.rule))).sorted()
        let rules: [[String: Any]] = ruleIDs.map { id in
            let example = report.findings.first { $0.rule == id }!
            return [
                "id": id, "name": id,
                "shortDescription": ["text": ruleDescriptions[id] ?? id],
                "defaultConfiguration": ["level": level(example.severity)],
                "properties": ["category": example.category.rawValue],
            ]
        }
        let results: [[String: Any]] = report.findings.map { finding in
            var properties: [String: Any] = ["severity": finding.severity.rawValue, "category": finding.category.rawValue]
            if let layer = finding.layer { properties["layer"] = layer }
            if let instruction = finding.instruction { properties["instruction"] = instruction }
            if let hidden = finding.hiddenInFinalImage { properties["hiddenInFinalImage"] = hidden }
            if let bytes = finding.bytes { properties["bytes"] = bytes }
            let uri = finding.path.map { String($0.drop { $0 == "/" }) } ?? "image"
            var physical: [String: Any] = ["artifactLocation": ["uri": uri.isEmpty ? "image" : uri, "uriBaseId": "IMAGEROOT"]]
            if let line = lineNumber(finding.message) { physical["region"] = ["startLine": line] }
            return [
                "ruleId": finding.rule,
                "ruleIndex": ruleIDs.firstIndex(of: finding.rule)!,
                "level": level(finding.severity),
                "message": ["text": finding.message],
                "locations": [["physicalLocation": physical, "logicalLocations": [["name": report.image, "kind": "module"]]]],
                "properties": properties,
            ]
        }
        let document: [String: Any] = [
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [[
                "tool": ["driver": ["name": "kiln audit", "version": toolVersion, "informationUri": "https://github.com/kiln/kiln", "rules": rules]],
                "originalUriBaseIds": ["IMAGEROOT": ["uri": "file:///", "description": ["text": "The root of the image's filesystem: \(report.image)"]]],
                "results": results,
            ]],
        ]
        return try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    static func level(_ severity: AuditSeverity) -> String {
        switch severity {
        case .critical, .high: return "error"
        case .medium, .low: return "warning"
        case .info: return "note"
        }
    }

    private static func lineNumber(_ message: String) -> Int? {
        guard let range = message.range(of: " line ", options: .backwards) else { return nil }
        return Int(message[range.upperBound...].prefix { $0.isNumber })
    }

    static let ruleDescriptions: [String: String] = [
        "SecretInLayerFile": "A credential in a file of an image layer",
        "SecretFileInLayer": "A file that usually holds credentials in an image layer",
        "SecretInEnv": "A credential in an ENV value",
        "SecretInLabel": "A credential in a LABEL value",
        "SecretInHistory": "A credential in the image history (build args, commands)",
        "WastedSpace": "Bytes a later layer deletes or overwrites",
        "PackageManagerLeftovers": "Package-manager caches or lists left in the image",
        "RootUser": "The image runs as root",
        "SetuidFile": "A setuid or setgid file",
        "WorldWritable": "A world-writable file or directory",
        "ExposedPort": "An exposed port",
        "ShellFormEntrypoint": "ENTRYPOINT in shell form does not forward signals",
        "MissingHealthcheck": "No HEALTHCHECK",
    ]
}

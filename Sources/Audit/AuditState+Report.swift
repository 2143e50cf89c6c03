import Foundation

extension AuditState {
    /// Turns what was seen into the report: settles findings on files by whether the file is still
    /// visible, adds wasted-space, leftover and config findings, the packages, the largest files.
    func report() -> AuditReport {
        var findings: [AuditFinding] = []
        for item in pending {
            var finding = item.finding
            let visible = tree.nodes[item.path]?.layer == item.layer
            if finding.category == .risk {
                if visible { findings.append(finding) }
                continue
            }
            finding.hiddenInFinalImage = !visible
            if !visible {
                let by = hiddenBy["\(item.layer):\(item.path)"]
                finding.hiddenByLayer = by
                let what = by.map { "layer \($0)" + (instruction($0).map { " (\(HistoryText.short($0)))" } ?? "") } ?? "a later layer"
                finding.message += "; deleted or overwritten by \(what) but still downloadable in layer \(item.layer)"
            }
            findings.append(finding)
        }
        findings += wasteFindings()
        findings += leftoverFindings()
        findings += ConfigFindings.secrets(subject.config, layerOfHistory: layerOfHistory)
        findings += ConfigFindings.risks(subject.config)
        findings.sort { a, b in
            if a.severity != b.severity { return a.severity > b.severity }
            if a.category != b.category { return a.category.rawValue < b.category.rawValue }
            if (a.layer ?? -1) != (b.layer ?? -1) { return (a.layer ?? -1) < (b.layer ?? -1) }
            return (a.path ?? "", a.message) < (b.path ?? "", b.message)
        }

        let (efficiency, wasted, inefficiencies) = dive.result(limit: limit)
        let userSize = layers.dropFirst().reduce(Int64(0)) { $0 + $1.contentSize }
        let waste = WasteSummary(
            efficiency: efficiency, wastedBytes: wasted, userSizeBytes: userSize,
            wastedUserPercent: userSize == 0 ? 0 : Double(wasted) / Double(userSize),
            hiddenBytes: layers.reduce(0) { $0 + $1.hiddenBytes }, inefficiencies: inefficiencies)

        var largest = tree.nodes.compactMap { path, version in
            version.type == .regular ? FileSize(path: ImagePath.absolute(path), size: version.size, layer: version.layer) : nil
        }
        largest.sort { ($0.size, $1.path) > ($1.size, $0.path) }

        return AuditReport(
            image: subject.name, manifestDigest: subject.manifestDigest?.description, configDigest: subject.configDigest?.description,
            platform: subject.config.platform.description, baseLayers: subject.baseLayers, layers: layers, findings: findings,
            waste: waste, largestFiles: Array(largest.prefix(limit)), packages: packages())
    }

    private func wasteFindings() -> [AuditFinding] {
        layers.filter { $0.hiddenBytes > 0 }.map { layer in
            let top = (hiddenPaths[layer.index] ?? []).sorted { ($0.size, $1.path) > ($1.size, $0.path) }.prefix(3)
            let by = (hidingLayers[layer.index] ?? []).sorted().map { "layer \($0)" + (instruction($0).map { " (\(HistoryText.short($0)))" } ?? "") }
            return AuditFinding(
                rule: "WastedSpace", category: .waste, severity: .low,
                message: "Layer \(layer.index) wrote \(layer.hiddenBytes) bytes that later layers delete or overwrite (\(top.map { "\($0.path) \($0.size) B" }.joined(separator: ", "))); hidden by \(by.joined(separator: ", ")). Remove files in the RUN that creates them",
                layer: layer.index, path: top.first?.path, instruction: layer.instruction, bytes: layer.hiddenBytes)
        }
    }

    private func leftoverFindings() -> [AuditFinding] {
        var groups: [String: (layer: Int, category: PackageLeftovers.Category, bytes: Int64, files: Int, first: String)] = [:]
        for file in leftoverFiles where tree.nodes[file.path]?.layer == file.layer {
            let key = "\(file.layer):\(file.category.name)"
            var group = groups[key] ?? (file.layer, file.category, 0, 0, file.path)
            group.bytes += file.size
            group.files += 1
            groups[key] = group
        }
        return groups.values.sorted { ($0.layer, $0.category.name) < ($1.layer, $1.category.name) }.map { group in
            AuditFinding(
                rule: "PackageManagerLeftovers", category: .leftover, severity: .low,
                message: "\(group.files) files (\(group.bytes) bytes) of \(group.category.name) left in layer \(group.layer): \(group.category.advice)",
                layer: group.layer, path: ImagePath.absolute(group.first), instruction: instruction(group.layer), bytes: group.bytes)
        }
    }

    /// Packages from the databases still visible in the final filesystem, one per purl.
    func packages() -> [Package] {
        let release = ["etc/os-release", "usr/lib/os-release"].lazy.compactMap { path -> (id: String?, version: String?)? in
            guard let entry = osRelease[path], tree.nodes[path]?.layer == entry.layer else { return nil }
            return (entry.id, entry.version)
        }.first
        var seen: Set<String> = []
        var result: [Package] = []
        for (path, entry) in packageFiles.sorted(by: { $0.key < $1.key }) where tree.nodes[path]?.layer == entry.layer {
            for var package in entry.packages {
                package.assignPurl(distroID: release?.id, distroVersion: release?.version)
                if seen.insert(package.purl).inserted { result.append(package) }
            }
        }
        return result.sorted { ($0.type, $0.name, $0.version, $0.purl) < ($1.type, $1.name, $1.version, $1.purl) }
    }
}

/// History lines shortened for messages.
enum HistoryText {
    static func short(_ line: String, limit: Int = 60) -> String {
        var text = line.replacingOccurrences(of: "/bin/sh -c #(nop) ", with: "").trimmingCharacters(in: .whitespaces)
        if text.count > limit { text = String(text.prefix(limit - 1)) + "…" }
        return text
    }
}

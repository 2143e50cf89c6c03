import Foundation
import ImageSpec
import LayerArchive

/// What the audit accumulates while the layers stream past, and how it becomes a report.
struct AuditState {
    let subject: ImageAuditor.Subject
    let limit: Int
    /// The history line of each layer (nil when history does not say).
    let layerInstructions: [String?]
    /// The layer each history entry made (nil for empty-layer entries).
    let layerOfHistory: [Int?]

    var tree = VisibleTree()
    var dive = DiveEfficiency()
    var layers: [LayerSummary] = []
    var current = 0

    // Findings that depend on whether the file is still visible at the end, keyed by layer and path.
    struct Pending { var finding: AuditFinding; var layer: Int; var path: String }
    var pending: [Pending] = []
    var watched: Set<String> = []
    var hiddenBy: [String: Int] = [:]
    var hiddenPaths: [Int: [FileSize]] = [:]
    var hidingLayers: [Int: Set<Int>] = [:]
    var leftovers: [Int: [PackageLeftovers.Category: (bytes: Int64, files: Int)]] = [:]
    var leftoverFiles: [(layer: Int, path: String, category: PackageLeftovers.Category, size: Int64)] = []
    var packageFiles: [String: (layer: Int, packages: [Package])] = [:]
    var osRelease: [String: (layer: Int, id: String?, version: String?)] = [:]
    var gitDirectories: Set<String> = []

    init(subject: ImageAuditor.Subject, limit: Int) {
        self.subject = subject
        self.limit = limit
        var instructions: [String?] = []
        var ofHistory: [Int?] = []
        let history = subject.config.history
        let nonEmpty = history.filter { !$0.emptyLayer }.count
        let aligned = nonEmpty == subject.manifest.layers.count
        for entry in history {
            if entry.emptyLayer { ofHistory.append(nil); continue }
            ofHistory.append(aligned ? instructions.count : nil)
            instructions.append(entry.createdBy.map(SecretMask.redact))
        }
        layerInstructions = aligned ? instructions : Array(repeating: nil, count: subject.manifest.layers.count)
        layerOfHistory = ofHistory
    }

    func instruction(_ layer: Int) -> String? {
        layerInstructions.indices.contains(layer) ? layerInstructions[layer] : nil
    }

    var isBuildLayer: Bool {
        guard let base = subject.baseLayers else { return true }
        return current >= base
    }

    mutating func beginLayer(_ index: Int, descriptor: Descriptor) {
        current = index
        layers.append(LayerSummary(index: index, digest: descriptor.digest.description, blobSize: descriptor.size, contentSize: 0, entries: 0,
                                   instruction: instruction(index), fromBase: subject.baseLayers.map { index < $0 }, hiddenBytes: 0))
    }

    mutating func endLayer() {
        dive.finishLayer()
    }

    // MARK: - Entries

    mutating func entry<S: ByteSource>(_ header: TarHeader, reader: inout TarReader<S>, maxScanned: Int64) throws {
        guard let path = ImagePath.clean(header.path) else { return }
        let effect = EntryEffect.of(path)
        layers[current].entries += 1
        layers[current].contentSize += header.size
        dive.add(path: path, size: header.size, isDirectory: header.type == .directory)
        let version = PathVersion(layer: current, size: header.type == .regular ? header.size : 0, type: header.type, mode: header.mode)
        var hidden: [(String, PathVersion)] = []
        tree.apply(effect, path: path, version: version) { hidden.append(($0, $1)) }
        for (hiddenPath, old) in hidden { recordHidden(hiddenPath, old, by: current) }
        guard effect == .put else { return }
        checkMode(path, header)
        if header.type == .directory, ImagePath.base(of: path) == ".git" { secretDirectory(path, kind: "git repository") }
        guard header.type == .regular else { return }
        if let category = PackageLeftovers.category(of: path) {
            leftoverFiles.append((current, path, category, header.size))
        }
        if let kind = SecretFileNames.kind(of: path), header.size > 0, !path.split(separator: "/").contains(".git") {
            addPending(AuditFinding(
                rule: "SecretFileInLayer", category: .secret, severity: .high,
                message: "\(ImagePath.absolute(path)) looks like a secret file (\(kind))",
                layer: current, path: ImagePath.absolute(path), instruction: instruction(current)), path: path)
        }
        try readContent(path, header, reader: &reader, maxScanned: maxScanned)
    }

    private mutating func readContent<S: ByteSource>(_ path: String, _ header: TarHeader, reader: inout TarReader<S>, maxScanned: Int64) throws {
        guard header.size > 0 else { return }
        let database = PackageDatabases.kind(of: path).flatMap { header.size <= PackageDatabases.limit($0) ? $0 : nil }
        var scanner: ContentSecretScanner? = header.size <= maxScanned ? ContentSecretScanner() : nil
        guard database != nil || scanner != nil else { return }
        var bytes: [UInt8] = []
        while true {
            let chunk = try reader.readContent(upTo: 256 * 1024)
            if chunk.isEmpty { break }
            if database != nil { bytes += chunk }
            if scanner != nil, !scanner!.feed(chunk) {
                report(scanner!, path)
                scanner = nil
            }
            if database == nil, scanner == nil { break }
        }
        if var done = scanner {
            done.finish()
            report(done, path)
        }
        if let database {
            if database == .osRelease {
                let release = PackageDatabases.osRelease(bytes)
                osRelease[path] = (current, release.id, release.version)
            } else {
                packageFiles[path] = (current, PackageDatabases.parse(database, bytes, location: ImagePath.absolute(path)))
            }
        }
    }

    private mutating func report(_ scanner: ContentSecretScanner, _ path: String) {
        for match in scanner.matches {
            addPending(AuditFinding(
                rule: "SecretInLayerFile", category: .secret, severity: .high,
                message: "Possible \(match.kind) '\(match.masked)' in \(ImagePath.absolute(path)) line \(match.line)",
                layer: current, path: ImagePath.absolute(path), instruction: instruction(current), masked: match.masked), path: path)
        }
    }

    private mutating func secretDirectory(_ path: String, kind: String) {
        guard gitDirectories.insert("\(current):\(path)").inserted else { return }
        addPending(AuditFinding(
            rule: "SecretFileInLayer", category: .secret, severity: .medium,
            message: "\(ImagePath.absolute(path))/ is a \(kind) (its history and config may hold credentials)",
            layer: current, path: ImagePath.absolute(path), instruction: instruction(current)), path: path)
    }

    private mutating func checkMode(_ path: String, _ header: TarHeader) {
        if header.type == .regular, header.mode & 0o6000 != 0 {
            let bits = header.mode & 0o4000 != 0 ? (header.mode & 0o2000 != 0 ? "setuid and setgid" : "setuid") : "setgid"
            if subject.baseLayers == nil {
                addPending(AuditFinding(
                    rule: "SetuidFile", category: .risk, severity: .info,
                    message: "\(ImagePath.absolute(path)) is \(bits) (base layers unknown, so reported in every layer)",
                    layer: current, path: ImagePath.absolute(path), instruction: instruction(current)), path: path)
            } else if isBuildLayer {
                addPending(AuditFinding(
                    rule: "SetuidFile", category: .risk, severity: .medium,
                    message: "\(ImagePath.absolute(path)) is \(bits), added by the build (mode \(String(header.mode, radix: 8)))",
                    layer: current, path: ImagePath.absolute(path), instruction: instruction(current)), path: path)
            }
        }
        let worldWritable = header.mode & 0o002 != 0
        let sticky = header.mode & 0o1000 != 0
        if worldWritable, header.type == .regular || (header.type == .directory && !sticky) {
            addPending(AuditFinding(
                rule: "WorldWritable", category: .risk, severity: .low,
                message: "\(ImagePath.absolute(path)) is world-writable (mode \(String(header.mode, radix: 8)))",
                layer: current, path: ImagePath.absolute(path), instruction: instruction(current)), path: path)
        }
    }

    private mutating func addPending(_ finding: AuditFinding, path: String) {
        pending.append(Pending(finding: finding, layer: current, path: path))
        watched.insert("\(current):\(path)")
    }

    private mutating func recordHidden(_ path: String, _ old: PathVersion, by layer: Int) {
        let key = "\(old.layer):\(path)"
        if watched.contains(key) { hiddenBy[key] = layer }
        guard old.size > 0, old.type == .regular else { return }
        layers[old.layer].hiddenBytes += old.size
        hidingLayers[old.layer, default: []].insert(layer)
        var list = hiddenPaths[old.layer, default: []]
        list.append(FileSize(path: ImagePath.absolute(path), size: old.size, layer: old.layer))
        if list.count > 2 * limit {
            list.sort { ($0.size, $1.path) > ($1.size, $0.path) }
            list.removeLast(list.count - limit)
        }
        hiddenPaths[old.layer] = list
    }
}

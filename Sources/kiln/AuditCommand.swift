import ArgumentParser
import Audit
import Distribution
import Foundation
import ImageArchive
import ImageSpec
import ImageStore
import Images

/// `kiln audit IMAGE|ARCHIVE|oci-layout:PATH`: what is really inside an image (module `Audit`).
/// Exit status: 0 when nothing at or above `--fail-on` was found, 1 otherwise, 2 on error.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Report secrets in any layer, wasted space, risky settings and the packages of an image.",
        discussion: """
            IMAGE is a name or ID in the store; a path to a docker-archive or OCI archive file, or \
            oci-layout:PATH (an OCI image layout folder), is read without touching the store. \
            Exit status: 0 when no finding is at or above --fail-on (or --fail-on is not given), 1 otherwise, 2 on error.
            """
    )

    @OptionGroup var store: StoreOptions

    @Option(help: ArgumentHelp("Output format: table, json or sarif (SARIF 2.1.0).", valueName: "FORMAT"))
    var format: String = "table"

    @Option(name: .customLong("fail-on"), help: ArgumentHelp("Exit 1 when a finding has this severity or higher: info, low, medium, high, critical.", valueName: "SEVERITY"))
    var failOn: String?

    @Option(help: ArgumentHelp("Print the image's SBOM instead of the findings: spdx (SPDX 2.3 JSON) or cyclonedx (CycloneDX 1.5 JSON).", valueName: "FORMAT"))
    var sbom: String?

    @Option(name: [.short, .long], help: ArgumentHelp("Write the output to FILE instead of standard output.", valueName: "FILE"))
    var output: String?

    @Argument(help: "The image: a name or ID in the store, an archive file, or oci-layout:PATH.")
    var image: String

    func run() async throws {
        let threshold: AuditSeverity?
        do {
            guard ["table", "json", "sarif"].contains(format) else { throw AuditError(.invalidImage, "unknown --format \(format); use table, json or sarif") }
            guard sbom == nil || ["spdx", "cyclonedx"].contains(sbom!) else { throw AuditError(.invalidImage, "unknown --sbom \(sbom!); use spdx or cyclonedx") }
            if let failOn {
                guard let severity = AuditSeverity(rawValue: failOn.lowercased()) else {
                    throw AuditError(.invalidImage, "unknown --fail-on \(failOn); use info, low, medium, high or critical")
                }
                threshold = severity
            } else {
                threshold = nil
            }
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        let report: AuditReport
        do {
            report = try await AuditInput.audit(image, store: store)
            let bytes: Data
            if let sbom {
                let tool = SBOM.Tool(version: KilnVersion.current)
                bytes = sbom == "spdx" ? try SBOM.spdx(report, tool: tool) : try SBOM.cycloneDX(report, tool: tool)
            } else {
                switch format {
                case "json": bytes = try report.json()
                case "sarif": bytes = try SARIFReport.render(report, toolVersion: KilnVersion.current)
                default: bytes = Data(AuditTable.render(report).utf8)
                }
            }
            if let output {
                try bytes.write(to: URL(fileURLWithPath: output))
            } else {
                FileHandle.standardOutput.write(bytes)
                if bytes.last != UInt8(ascii: "\n") { FileHandle.standardOutput.write(Data("\n".utf8)) }
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        if let threshold, !report.findings(atLeast: threshold).isEmpty {
            throw ExitCode(1)
        }
    }
}

/// Where the image to audit comes from: the store, an archive file, or an OCI layout folder. Archives
/// and layouts are loaded into a temporary store of their own, removed afterwards.
enum AuditInput {
    static func audit(_ argument: String, store options: StoreOptions) async throws -> AuditReport {
        var path: String?
        if argument.hasPrefix("oci-layout:") {
            path = String(argument.dropFirst("oci-layout:".count))
            guard FileManager.default.fileExists(atPath: path! + "/index.json") else {
                throw AuditError(.invalidImage, "\(path!) is not an OCI image layout (no index.json)")
            }
        } else if argument.contains("/") || argument.hasSuffix(".tar"), FileManager.default.fileExists(atPath: argument) {
            path = argument
        }
        if let path { return try await auditArchive(path) }

        let contentStore = try options.openStore()
        let subject = try await withService(contentStore) { service in
            guard let local = try await service.localImage(argument) else {
                throw ImagesError(.noSuchImage, "No such image: \(argument)")
            }
            let base = try await baseLayers(of: local, among: service.images())
            let subject = ImageAuditor.Subject(
                name: local.references.first?.familiar ?? argument, manifestDigest: local.manifestDescriptor.digest, manifest: local.manifest,
                configDigest: local.configDescriptor.digest, config: local.config, baseLayers: base)
            // The tag may name an index holding the image and its attestations (kiln build --sbom).
            let asked = (try? ImageReference(parsing: argument)).flatMap { local.references.contains($0) ? $0 : nil }
            let top = try (asked ?? local.references.first).flatMap { try contentStore.resolve($0) }
            return (subject, top)
        }
        var report = try ImageAuditor(store: contentStore).audit(subject.0)
        report.attestations = try AuditAttestations.summaries(for: subject.0.manifestDigest!, in: subject.1, store: contentStore)
        return report
    }

    /// An image service over `store` that never talks to a registry (its client is shut down after).
    static func withService<T>(_ store: ContentStore, _ body: (ImageService) async throws -> T) async throws -> T {
        let registry = RegistryClient(configuration: .init())
        let service = ImageService(store: store, registry: registry, progress: SilentProgress())
        do {
            let result = try await body(service)
            try? await registry.shutdown()
            return result
        } catch {
            try? await registry.shutdown()
            throw error
        }
    }

    /// The layer count of the largest other image in the store whose layers are a strict prefix of
    /// this image's: the base it was built from. Nil when there is none.
    static func baseLayers(of image: LocalImage, among images: [LocalImage]) -> Int? {
        let ids = image.diffIDs
        var best: Int?
        for other in images where other.id != image.id {
            let count = other.diffIDs.count
            guard count > 0, count < ids.count, Array(ids.prefix(count)) == other.diffIDs else { continue }
            if best == nil || count > best! { best = count }
        }
        return best
    }

    static func auditArchive(_ path: String) async throws -> AuditReport {
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-audit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: temp) }
        let store = try ContentStore(root: temp)
        let images = try await ImageLoader(store: store).load(from: path)
        guard let first = images.first else { throw AuditError(.invalidImage, "\(path) holds no image") }
        if images.count > 1 { printError("note: \(path) holds \(images.count) images; auditing the first") }
        let local = try await withService(store) { try $0.load(first.manifestDescriptor) }
        let subject = ImageAuditor.Subject(
            name: first.references.first?.familiar ?? path, manifestDigest: local.manifestDescriptor.digest, manifest: local.manifest,
            configDigest: local.configDescriptor.digest, config: local.config, baseLayers: nil)
        var report = try ImageAuditor(store: store).audit(subject)
        report.attestations = try AuditAttestations.summaries(for: local.manifestDescriptor.digest, in: first.manifestDescriptor, store: store)
        return report
    }
}

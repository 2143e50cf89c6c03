import ArgumentParser
import Attestations
import Audit
import Builder
import Foundation
import ImageSpec
import Images
import LayerVariants

/// `kiln build --sbom`, `--provenance` and `--attest`, as buildx spells them.
struct AttestOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Shorthand for \"--attest=type=sbom\": attach an SPDX SBOM of the image (true or false)", valueName: "string"))
    var sbom: String?

    @Option(help: ArgumentHelp("Shorthand for \"--attest=type=provenance\": attach a SLSA provenance of the build (true, false, mode=min or mode=max)", valueName: "string"))
    var provenance: String?

    @Option(help: ArgumentHelp("Attestation parameters (format: \"type=sbom\", \"type=provenance,mode=min|max\"; disabled=true turns one off)", valueName: "stringArray"))
    var attest: [String] = []

    func request() throws -> AttestationRequest {
        try AttestationRequest(sbom: sbom, provenance: provenance, attest: attest)
    }
}

/// Attaches the requested attestations to a built image: the image manifest (its layers exported
/// as `compression` says, the form that is pushed and saved) and, for it, an attestation manifest
/// with the SBOM and/or provenance statements, in a new image index written to the store.
enum BuildAttestations {
    /// What the provenance needs to know about the invocation, gathered before the build.
    struct Invocation {
        var options: BuildOptions
        var startedOn: Date
    }

    /// Returns the index descriptor (to tag, push and export instead of the image manifest).
    static func attach(_ result: BuildResult, request: AttestationRequest, invocation: Invocation, tags: [ImageReference],
                       compression: ExportCompression, service: ImageService) throws -> Descriptor {
        let (image, layers) = try statements(for: result, platform: result.config.platform, request: request, invocation: invocation,
                                             tags: tags, compression: compression, service: service)
        let assembled = try AttestationIndex.assemble(images: [image], attestations: [image.digest: layers])
        return try assembled.write(to: service.store)
    }

    /// One image of a build, as an index lists it (exported manifest, `platform`), and the statements
    /// `request` asks for about it (their subject: that manifest).
    static func statements(for result: BuildResult, platform: Platform, request: AttestationRequest, invocation: Invocation,
                           tags: [ImageReference], compression: ExportCompression,
                           service: ImageService) throws -> (image: Descriptor, layers: [AttestationLayer]) {
        let local = LocalImage(references: tags, manifestDescriptor: result.manifestDescriptor, manifest: result.manifest,
                               configDescriptor: result.configDescriptor, config: result.config)
        let exported = try service.exported(local, compression: compression)
        var image = exported.manifestDescriptor
        image.annotations = nil
        image.platform = platform
        let subjects = InTotoStatement.subjects(names: tags.filter { $0.digest == nil }, platform: platform, manifest: image.digest)
        var layers: [AttestationLayer] = []
        if request.sbom {
            let subject = ImageAuditor.Subject(
                name: tags.first?.familiar ?? result.id.description, manifestDigest: image.digest, manifest: exported.manifest,
                configDigest: result.configDescriptor.digest, config: result.config, baseLayers: nil)
            let report = try ImageAuditor(store: service.store).audit(subject)
            let spdx = try SBOM.spdx(report, tool: SBOM.Tool(version: KilnVersion.current))
            let predicate = try JSONDecoder().decode(JSONValue.self, from: spdx)
            layers.append(try AttestationLayer(InTotoStatement(subject: subjects, predicateType: AttestationLayout.spdxPredicateType, predicate: predicate)))
        }
        if let mode = request.provenance {
            let options = invocation.options
            let input = ProvenanceInput(
                mode: mode, kilnVersion: KilnVersion.current,
                dockerfileName: URL(fileURLWithPath: options.dockerfileName).lastPathComponent,
                dockerfile: Data(options.dockerfileText.utf8), buildArgs: options.buildArgs, labels: options.labels,
                target: options.target, platform: platform, secretIDs: Array(options.secrets.keys), sshIDs: Array(options.ssh.keys),
                materials: result.baseImages.map { .init(image: $0.reference, platform: $0.platform, digest: $0.pinnedDigest) },
                startedOn: invocation.startedOn, finishedOn: Date())
            let predicate = ProvenancePredicate.predicate(input)
            layers.append(try AttestationLayer(InTotoStatement(subject: subjects, predicateType: AttestationLayout.slsaProvenanceV02, predicate: predicate)))
        }
        return (image, layers)
    }
}

import BuildChecks
import Foundation
import ImageSpec

/// What a SLSA provenance (v0.2, BuildKit's default) of one build records.
public struct ProvenanceInput: Sendable {
    /// A base image (or other input) the build used, by package URL and digest.
    public struct Material: Sendable, Hashable {
        public var uri: String
        public var digest: Digest
        public init(uri: String, digest: Digest) {
            self.uri = uri
            self.digest = digest
        }

        /// A base image: `pkg:docker/<name>@<tag>?platform=<os>%2F<arch>`.
        public init(image reference: ImageReference, platform: Platform, digest: Digest) {
            let version = reference.tag ?? ImageReference.defaultTag
            var uri = "pkg:docker/\(reference.familiarName)@\(version)?"
            if let pinned = reference.digest { uri += "digest=\(pinned.description)&" }
            uri += "platform=\(InTotoStatement.percentEncoded(platform.description))"
            self.init(uri: uri, digest: digest)
        }
    }

    public var mode: AttestationRequest.ProvenanceMode
    public var kilnVersion: String
    /// The Dockerfile's name (BuildKit's `entryPoint`) and bytes.
    public var dockerfileName: String
    public var dockerfile: Data
    public var buildArgs: [String: String]
    public var labels: [String: String]
    public var target: String?
    public var platform: Platform
    /// `--secret` and `--ssh` ids (never their values).
    public var secretIDs: [String]
    public var sshIDs: [String]
    public var materials: [Material]
    public var startedOn: Date
    public var finishedOn: Date
    public var invocationID: String

    public init(mode: AttestationRequest.ProvenanceMode, kilnVersion: String, dockerfileName: String, dockerfile: Data,
                buildArgs: [String: String], labels: [String: String], target: String?, platform: Platform,
                secretIDs: [String], sshIDs: [String], materials: [Material], startedOn: Date, finishedOn: Date,
                invocationID: String = UUID().uuidString.lowercased()) {
        self.mode = mode
        self.kilnVersion = kilnVersion
        self.dockerfileName = dockerfileName
        self.dockerfile = dockerfile
        self.buildArgs = buildArgs
        self.labels = labels
        self.target = target
        self.platform = platform
        self.secretIDs = secretIDs
        self.sshIDs = sshIDs
        self.materials = materials
        self.startedOn = startedOn
        self.finishedOn = finishedOn
        self.invocationID = invocationID
    }
}

/// The SLSA v0.2 provenance predicate, shaped as BuildKit's (`buildType` BuildKit's, invocation
/// parameters as its Dockerfile frontend names them: `build-arg:NAME`, `label:NAME`, `target`), with
/// kiln as the builder. Mode `max` adds the Dockerfile's text, the secret and SSH ids, and says the
/// parameters are complete.
///
/// No secret value is ever recorded: a build arg or label whose name is sensitive (`API_TOKEN`,
/// BuildKit's SecretsUsedInArgOrEnv rule) or whose value looks like a credential (`kiln check`'s
/// detectors) is recorded as ``redacted``, and its name listed under kiln's metadata.
public enum ProvenancePredicate {
    public static let buildType = "https://mobyproject.org/buildkit@v1"
    public static let redacted = "<redacted by kiln>"
    static let buildKitMetadataKey = "https://mobyproject.org/buildkit@v1#metadata"
    static let kilnMetadataKey = "https://kiln.invalid/build@v1#metadata"

    /// Whether `value` of `name` is, or may be, a secret.
    public static func isSecret(name: String, value: String) -> Bool {
        SecretDetector.isSensitiveName(name) || !SecretDetector.scan(line: "\(name)=\(value)").isEmpty
            || !SecretDetector.scan(line: value).isEmpty
    }

    public static func predicate(_ input: ProvenanceInput) -> JSONValue {
        var args: [String: JSONValue] = [:]
        var redactedNames: [String] = []
        for (prefix, values) in [("build-arg:", input.buildArgs), ("label:", input.labels)] {
            for (name, value) in values {
                if isSecret(name: name, value: value) {
                    args[prefix + name] = .string(redacted)
                    redactedNames.append(prefix + name)
                } else {
                    args[prefix + name] = .string(value)
                }
            }
        }
        if let target = input.target { args["target"] = .string(target) }
        let dockerfileDigest = Digest.sha256(of: input.dockerfile)
        var parameters: [String: JSONValue] = [
            "frontend": "dockerfile.v0",
            "args": .object(args),
            "locals": [["name": "context"], ["name": "dockerfile"]],
        ]
        if input.mode == .max {
            parameters["secrets"] = .array(input.secretIDs.sorted().map { .object(["id": .string($0), "optional": false]) })
            parameters["ssh"] = .array(input.sshIDs.sorted().map { .object(["id": .string($0), "optional": false]) })
        }
        var metadata: [String: JSONValue] = [
            "buildInvocationID": .string(input.invocationID),
            "buildStartedOn": .string(timestamp(input.startedOn)),
            "buildFinishedOn": .string(timestamp(input.finishedOn)),
            "completeness": ["parameters": .bool(input.mode == .max), "environment": true, "materials": false],
            "reproducible": false,
            kilnMetadataKey: .object([
                "kilnVersion": .string(input.kilnVersion),
                "dockerfile": ["name": .string(input.dockerfileName), "digest": .string(dockerfileDigest.description)],
                "redactedParameters": .array(redactedNames.sorted().map(JSONValue.string)),
            ]),
        ]
        if input.mode == .max {
            metadata[buildKitMetadataKey] = ["source": ["infos": [[
                "filename": .string(input.dockerfileName), "language": "Dockerfile",
                "data": .string(input.dockerfile.base64EncodedString()),
            ]]]]
        }
        return [
            "builder": ["id": .string("pkg:generic/kiln@\(input.kilnVersion)")],
            "buildType": .string(buildType),
            "materials": .array(input.materials.map { ["uri": .string($0.uri), "digest": [$0.digest.algorithm.rawValue: .string($0.digest.hex)]] }),
            "invocation": [
                "configSource": ["entryPoint": .string(input.dockerfileName), "digest": [dockerfileDigest.algorithm.rawValue: .string(dockerfileDigest.hex)]],
                "parameters": .object(parameters),
                "environment": ["platform": .string(input.platform.description)],
            ],
            "metadata": .object(metadata),
        ]
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

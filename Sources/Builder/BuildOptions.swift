import Foundation
import ImageSpec
import Images

/// Everything `kiln build` decides before building.
public struct BuildOptions: Sendable {
    /// The Dockerfile's text and the name used in messages.
    public var dockerfileText: String
    public var dockerfileName: String
    /// The Dockerfile's path (for `<name>.dockerignore`), nil when read from stdin.
    public var dockerfilePath: String?
    /// The context directory, nil for no context.
    public var contextDirectory: String?
    public var buildArgs: [String: String] = [:]
    public var target: String?
    public var noCache = false
    /// `--trace FILE`: each step's phases with start and duration, Chrome trace format (``BuildTrace``).
    public var tracePath: String?
    public var pull = false
    /// `--network none` makes every RUN run without network.
    public var networkNone = false
    /// `--network host` makes every RUN share the host's network namespace (the default is a private one
    /// per build, with outbound connectivity through pasta; `RUN --network=host` asks for it per step).
    public var networkHost = false
    /// `--allow security.insecure`: `RUN --security=insecure` may run with every capability and no seccomp filter.
    public var allowInsecure = false
    public var labels: [String: String] = [:]
    public var platform: Platform = .host
    /// `--platform` was given: a local base image of another platform is then never used as is, even
    /// when the platform asked for is the host's (it is pulled for the platform, as Docker does).
    public var platformRequested = false
    /// `--build-context NAME=…`, by name as given.
    public var namedContexts: [String: NamedContext] = [:]
    /// `--secret`: each secret's value by id (for `RUN --mount=type=secret`).
    public var secrets: [String: [UInt8]] = [:]
    /// `--ssh`: agent sockets or key files by id (for `RUN --mount=type=ssh`).
    public var ssh: [String: SSHSpec] = [:]
    /// `--cache-from IMAGE`: local images whose layers a step may reuse (see `CacheFromImages`).
    public var cacheFrom: [CacheFromImage] = []
    /// `--cache-from type=registry|local|inline`: imported BuildKit-layout cache entries (``ImportedCacheIndex``).
    public var cacheImports = ImportedCacheIndex()
    /// `--cache-to` given: COPY/ADD steps also compute their alias keys (``CopyAlias``) for the export.
    public var recordsCacheAliases = false
    /// `--add-host`: /etc/hosts lines (`IP\tHOST`) of every RUN step.
    public var extraHosts: [String] = []
    /// `--isolation chroot`: RUN steps run in a chroot of their root filesystem, with no namespaces and no
    /// OCI runtime (``ChrootRunner``); they share kiln's network.
    public var chrootIsolation = false

    public init(dockerfileText: String, dockerfileName: String = "Dockerfile", dockerfilePath: String? = nil,
                contextDirectory: String?) {
        self.dockerfileText = dockerfileText
        self.dockerfileName = dockerfileName
        self.dockerfilePath = dockerfilePath
        self.contextDirectory = contextDirectory
    }
}

/// The image a build produced, stored in the content store.
public struct BuildResult: Sendable {
    public var manifestDescriptor: Descriptor
    public var manifest: Manifest
    public var configDescriptor: Descriptor
    public var config: ImageConfig
    /// The final stage's merged root filesystem layers (base first), for `type=local` output.
    public var snapshots: [URL]
    /// The images the build used (FROM, COPY --from), for its provenance.
    public var baseImages: [BaseImageUse] = []
    /// The final stage's BuildKit records (`--cache-to type=inline` for Docker), nil when unknown.
    public var buildKitTrail: BuildKitTrail?
    /// The image ID (config digest).
    public var id: Digest { configDescriptor.digest }
}

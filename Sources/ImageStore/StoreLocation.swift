import Foundation

/// Where a store lives on disk, and the fixed names inside it.
///
/// The root is an OCI image layout (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`) readable by
/// skopeo, umoci and other OCI tools. kiln's private state lives under `kiln/` beside it: the image
/// layout specification names only `oci-layout`, `index.json` and `blobs`, and tools ignore other
/// entries, so an extra folder does not break them.
public struct StoreLocation: Sendable, Hashable {
    /// The store root: the OCI image layout folder.
    public let root: URL

    public init(root: URL) {
        self.root = root.standardizedFileURL
    }

    /// The root kiln uses, in order of precedence:
    /// 1. `explicit` (the `--root` option), when not empty;
    /// 2. `KILN_ROOT` from `environment`, when not empty;
    /// 3. `/var/lib/kiln` when running as root (`isRoot`);
    /// 4. `$XDG_DATA_HOME/kiln` when `XDG_DATA_HOME` is an absolute path;
    /// 5. `$HOME/.local/share/kiln`.
    ///
    /// Throws ``StoreError`` (`invalidRoot`) when none applies (no `HOME` for a non-root user).
    /// Relative paths are taken relative to the current directory. Creates nothing.
    public static func resolve(
        explicit: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        isRoot: Bool = StoreLocation.runsAsHostRoot
    ) throws -> StoreLocation {
        if let explicit, !explicit.isEmpty {
            return StoreLocation(root: URL(fileURLWithPath: explicit))
        }
        if let env = environment["KILN_ROOT"], !env.isEmpty {
            return StoreLocation(root: URL(fileURLWithPath: env))
        }
        if isRoot {
            return StoreLocation(root: URL(fileURLWithPath: "/var/lib/kiln"))
        }
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            return StoreLocation(root: URL(fileURLWithPath: xdg).appendingPathComponent("kiln"))
        }
        if let home = environment["HOME"], !home.isEmpty {
            return StoreLocation(root: URL(fileURLWithPath: home).appendingPathComponent(".local/share/kiln"))
        }
        throw StoreError(.invalidRoot, "cannot choose a store root: HOME is not set; pass --root or set KILN_ROOT")
    }

    /// Whether this process is the host's root: euid 0 outside kiln's rootless user namespace (whose
    /// re-executed process carries `_KILN_USERNS`, see ContainerRuntime's `UserNamespaceEntry`).
    public static var runsAsHostRoot: Bool {
        geteuid() == 0 && ProcessInfo.processInfo.environment["_KILN_USERNS"] == nil
    }

    /// Where the OCI runtime keeps its state for containers and RUN steps of this store: the store's
    /// `kiln/runc` for root; `$XDG_RUNTIME_DIR/kiln/runc` for a plain user when that directory exists
    /// (a tmpfs cleared at logout, as Podman uses), else the store's.
    public func runtimeStateDirectory(environment: [String: String] = ProcessInfo.processInfo.environment,
                                      isRoot: Bool = StoreLocation.runsAsHostRoot) -> URL {
        if !isRoot, let runtime = environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/"),
           FileManager.default.fileExists(atPath: runtime) {
            return URL(fileURLWithPath: runtime).appendingPathComponent("kiln/runc")
        }
        return stateDirectory.appendingPathComponent("runc")
    }

    // MARK: - Names inside the root

    /// `oci-layout`: `{"imageLayoutVersion":"1.0.0"}`.
    public var layoutFile: URL { root.appendingPathComponent("oci-layout") }
    /// `index.json`: the OCI index whose entries are the store's references.
    public var indexFile: URL { root.appendingPathComponent("index.json") }
    /// `blobs/`.
    public var blobsDirectory: URL { root.appendingPathComponent("blobs") }
    /// `kiln/`: kiln's own state, ignored by OCI tools.
    public var stateDirectory: URL { root.appendingPathComponent("kiln") }
    /// `kiln/tmp/`: partial blobs and index.json drafts; on the store's filesystem so rename is atomic.
    public var tempDirectory: URL { stateDirectory.appendingPathComponent("tmp") }
    /// `kiln/snapshots/`: unpacked layers by chain ID.
    public var snapshotsDirectory: URL { stateDirectory.appendingPathComponent("snapshots") }
    /// `kiln/leases/`: what live processes hold against pruning, one file per process.
    public var leasesDirectory: URL { stateDirectory.appendingPathComponent("leases") }
    /// `kiln/lock`: the file `flock`ed around index.json updates and garbage collection.
    public var lockFile: URL { stateDirectory.appendingPathComponent("lock") }

    /// The folder holding blobs of `algorithm`, e.g. `blobs/sha256`.
    public func blobsDirectory(for algorithm: DigestAlgorithm) -> URL {
        blobsDirectory.appendingPathComponent(algorithm.rawValue)
    }

    /// Where the blob with `digest` lives: `blobs/<alg>/<hex>`.
    public func blobPath(_ digest: Digest) -> URL {
        blobsDirectory(for: digest.algorithm).appendingPathComponent(digest.hex)
    }
}

import ImageSpec

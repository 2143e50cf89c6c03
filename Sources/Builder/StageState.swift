import Foundation
import ImageSpec
import Images

/// The image being built by one stage, as instructions are applied (BuildKit's `dispatchState`).
struct StageState: Sendable {
    /// The image config: config, history and diffIDs so far.
    var config: ImageConfig
    /// The layer blobs, parallel to `config.rootfs.diffIDs`.
    var layers: [Descriptor]
    /// The unpacked snapshot of each layer, base first (overlay lower directories).
    var snapshots: [URL]
    /// The variables of BuildKit's LLB state: the config's Env, then ENV and ARG values in order
    /// (a later name replaces an earlier one). Used for expansion and as the RUN environment.
    var env: [(name: String, value: String)]
    /// ARGs declared in this stage, in order (`|N K=V` prefix of RUN history).
    var buildArgs: [(name: String, value: String?)] = []
    /// Whether CMD was set in this stage (ENTRYPOINT then keeps it).
    var cmdSet = false
    /// The cache key of the state so far.
    var cacheKey: String
    /// The `created` time of the history entries this build adds (`SOURCE_DATE_EPOCH`); nil: now.
    var historyTime: Timestamp?
    /// The chain keys Docker's BuildKit would give the state so far (``BuildKitKeys``), one per
    /// key of the base image; empty once a step kiln cannot key that way (COPY, RUN with mounts…).
    var buildKitKeys: [String] = [] {
        didSet { if buildKitKeys.isEmpty { buildKitTrail = nil } }
    }
    /// The BuildKit records of the steps so far (``BuildKitTrail``), nil when the chain ended.
    var buildKitTrail: BuildKitTrail?
    /// BuildKit's LLB environment: a variable set again moves to the end (RUN's env in its key).
    var buildKitEnv: [(name: String, value: String)] = []

    init(config: ImageConfig, layers: [Descriptor], snapshots: [URL], cacheKey: String) {
        self.config = config
        self.layers = layers
        self.snapshots = snapshots
        self.cacheKey = cacheKey
        self.env = config.config.env.map { entry in
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
    }

    /// The state for `FROM` this stage: same image and variables (ARG values stay in the LLB
    /// state, as in BuildKit) with the image config's Env applied over them again; the declared
    /// ARGs carry over into RUN's history (moby/buildkit c7c2f0e9, v0.15: "Initialize build args
    /// from stage base"); CMD not set.
    func derived() -> StageState {
        var copy = self
        copy.cmdSet = false
        for entry in config.config.env {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            copy.setEnv(String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            copy.setBuildKitEnv(String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
        return copy
    }

    mutating func setEnv(_ name: String, _ value: String) {
        if let i = env.firstIndex(where: { $0.name == name }) {
            env[i].value = value
        } else {
            env.append((name, value))
        }
    }

    /// Sets `name` in ``buildKitEnv`` (removed, then appended, as BuildKit's LLB state does).
    mutating func setBuildKitEnv(_ name: String, _ value: String) {
        buildKitEnv.removeAll { $0.name == name }
        buildKitEnv.append((name, value))
    }

    /// `NAME=value` strings for a RUN step.
    var runEnvironment: [String] {
        env.map { "\($0.name)=\($0.value)" }
    }

    var envMap: [String: String] {
        var map: [String: String] = [:]
        for e in env { map[e.name] = e.value }
        return map
    }

    /// The working directory (absolute), `/` when unset.
    var workingDirectory: String {
        let dir = config.config.workingDir ?? ""
        return dir.isEmpty ? "/" : dir
    }

    /// Appends a history entry. A layer's entry is dated `layerCreated` (when the layer was first
    /// made, from the cache record); a config-only entry gets its date when the image is written
    /// (``HistoryDates``). `SOURCE_DATE_EPOCH` (``historyTime``) dates every entry.
    mutating func record(_ createdBy: String, emptyLayer: Bool, layerCreated: Timestamp? = nil) {
        config.history.append(History(created: historyTime ?? (emptyLayer ? nil : layerCreated ?? Timestamp(Date())),
                                      createdBy: createdBy, comment: emptyLayer ? nil : "buildkit.dockerfile.v0", emptyLayer: emptyLayer))
    }

    /// Sets the config env entry `name` (replacing in place, else appending).
    mutating func setConfigEnv(_ name: String, _ value: String) {
        let entry = "\(name)=\(value)"
        if let i = config.config.env.firstIndex(where: { $0.hasPrefix(name + "=") || $0 == name }) {
            config.config.env[i] = entry
        } else {
            config.config.env.append(entry)
        }
    }
}

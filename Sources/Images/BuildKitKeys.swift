import Foundation
import ImageSpec
import ImageStore

/// The cache keys Docker 20.10's BuildKit (v0.8, its built-in Dockerfile frontend) gives the
/// records it exports, computed by kiln for its own steps, so that a build can hit a cache Docker
/// exported (`docker build --build-arg BUILDKIT_INLINE_CACHE=1`, or a registry cache).
///
/// Facts (learned from BuildKit's solver and Docker's exported caches, which are the test vectors
/// in `Tests/ImagesTests/Vectors/docker-inline-cache`): a record's digest is
/// `sha256("<op cache digest>@<output index>")`; an op's cache digest is the SHA-256 of a Go
/// `encoding/json` document describing the op without its inputs (for RUN the exec's args, env,
/// cwd, user and network with the platform; for WORKDIR a mkdir file action); the image a stage
/// starts from has two keys, one from its manifest digest and platform, one from the chain ID of
/// its layers. A record names the records of its inputs (`inputs`), so a record's digest alone
/// does not identify a step: two RUNs of the same command on different bases share it.
///
/// kiln therefore keys imported BuildKit records by a *chain key* of its own (``chain(_:record:)``):
/// a root record's chain key is its digest, any other record's the digest of its own digest and its
/// inputs' chain keys. A build computes the same chain keys from its steps (``StageState``'s
/// `buildKitKeys`), one per key its base image has.
public enum BuildKitKeys {
    /// The root record digests of a base image: by its manifest (one per candidate manifest
    /// digest) and by the chain ID of its layers.
    public static func imageRoots(manifestDigests: [Digest], platform: Platform, diffIDs: [Digest]) -> [String] {
        var roots: [String] = []
        for manifest in manifestDigests {
            var fields = [("Digest", goString(manifest.description)), ("OS", goString(platform.os)),
                          ("Arch", goString(platform.architecture))]
            if let variant = platform.variant, !variant.isEmpty { fields.append(("Variant", goString(variant))) }
            roots.append(sourceRecord(Digest.sha256(of: Data(goObject(fields).utf8)).description))
        }
        if let chainID = ChainID.compute(diffIDs: diffIDs) { roots.append(sourceRecord(chainID.description)) }
        var seen = Set<String>()
        return roots.filter { seen.insert($0).inserted }
    }

    /// The record digest of a RUN without mounts: `network` is BuildKit's NetMode (0 default,
    /// 1 host, 2 none).
    public static func execRecord(args: [String], env: [String], cwd: String, user: String, network: Int, platform: Platform) -> String {
        var meta: [(String, String)] = []
        if !args.isEmpty { meta.append(("args", goArray(args))) }
        if !env.isEmpty { meta.append(("env", goArray(env))) }
        if !cwd.isEmpty { meta.append(("cwd", goString(cwd))) }
        if !user.isEmpty { meta.append(("user", goString(user))) }
        var exec = [("meta", goObject(meta))]
        if network != 0 { exec.append(("network", String(network))) }
        var fields = [("Type", goString("buildkit.exec.v0")), ("Exec", goObject(exec)),
                      ("OS", goString(platform.os)), ("Arch", goString(platform.architecture))]
        if let variant = platform.variant, !variant.isEmpty { fields.append(("Variant", goString(variant))) }
        return record(Digest.sha256(of: Data(goObject(fields).utf8)).description)
    }

    /// The record digest of WORKDIR `path` without a USER (a mkdir with parents, mode 0755).
    public static func mkdirRecord(path: String) -> String {
        let action = goObject([("path", goString(path)), ("mode", "493"), ("makeParents", "true"), ("timestamp", "-1")])
        let document = goObject([("Type", goString("buildkit.file.v0")),
                                 ("Actions", "[" + goString(Data(action.utf8).base64EncodedString()) + "]")])
        return record(Digest.sha256(of: Data(document.utf8)).description)
    }

    /// The chain key of a record with one input (no selector) whose chain key is `parent`.
    public static func chain(_ parent: String, record: String) -> String {
        chain(record: record, inputs: [[(selector: "", key: parent)]])
    }

    /// The chain key of `record` with, per input, one chosen link (its selector and chain key).
    static func chain(record: String, inputs: [[(selector: String, key: String)]]) -> String {
        if inputs.isEmpty { return record }
        var text = "kiln-buildkit-chain-v1\n" + record
        for (i, links) in inputs.enumerated() {
            for link in links { text += "\n\(i) \(link.selector) \(link.key)" }
        }
        return Digest.sha256(of: Data(text.utf8)).description
    }

    private static func sourceRecord(_ key: String) -> String {
        record(Digest.sha256(of: Data(("buildkit.source.v0:" + key).utf8)).description)
    }

    private static func record(_ cacheDigest: String, output: Int = 0) -> String {
        Digest.sha256(of: Data("\(cacheDigest)@\(output)".utf8)).description
    }

    // MARK: Go encoding/json, as the Go version Docker 20.10 was built with writes it

    static func goObject(_ fields: [(String, String)]) -> String {
        "{" + fields.map { goString($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    static func goArray(_ values: [String]) -> String {
        "[" + values.map(goString).joined(separator: ",") + "]"
    }

    /// A JSON string as Go writes it (`GoJSONString`: HTML-safe, U+2028/U+2029 and control
    /// characters escaped).
    static func goString(_ s: String) -> String {
        GoJSONString.quote(s)
    }
}

extension BuildKitCacheConfig {
    /// The chain keys (``BuildKitKeys``) of every record, by record index: a root's is its digest;
    /// a record with inputs has one per combination of its inputs' links (at most `limit`).
    func chainKeys(limit: Int = 16) -> [[String]] {
        var memo: [Int: [String]] = [:]
        var visiting = Set<Int>()
        func keys(_ i: Int) -> [String] {
            if let known = memo[i] { return known }
            guard visiting.insert(i).inserted else { return [] }  // a cycle: no key
            defer { visiting.remove(i) }
            let record = records[i]
            let inputs = record.inputs ?? []
            var combos: [[[(selector: String, key: String)]]] = [[]]
            for links in inputs {
                var alternatives: [(selector: String, key: String)] = []
                for link in links where records.indices.contains(link.link) && link.selector != Self.aliasSelector {
                    for key in keys(link.link) { alternatives.append((link.selector ?? "", key)) }
                }
                var next: [[[(selector: String, key: String)]]] = []
                for combo in combos {
                    for alternative in alternatives where next.count < limit { next.append(combo + [[alternative]]) }
                }
                combos = next
            }
            let result = inputs.isEmpty ? [record.digest.description]
                : combos.map { BuildKitKeys.chain(record: record.digest.description, inputs: $0) }
            memo[i] = result
            return result
        }
        return records.indices.map(keys)
    }
}

extension BuildKitKeys {
    /// The record digest of a COPY (or, with `add`, an ADD) of one context path (`source`,
    /// absolute in the context) to `destination` (as Docker's frontend writes it: absolute, a
    /// trailing `/` kept), with the `--chmod` bits or none.
    public static func copyRecord(source: String, destination: String, mode: Int32?, add: Bool = false) -> String {
        copyRecord(sources: [source], destination: destination, mode: mode, add: add)
    }

    /// The record digest of a COPY or ADD of several context paths: one copy action each, chained
    /// (the frontend's FileOp), with the action indexes when they are not the default layout.
    public static func copyRecord(sources: [String], destination: String, mode: Int32?, add: Bool = false) -> String {
        let actions = sources.map { source -> String in
            let base = source == "/" ? "/" : String(source.split(separator: "/").last ?? "")
            var fields = [("src", goString(base)), ("dest", goString(destination)), ("mode", String(mode ?? -1)),
                          ("followSymlink", "true"), ("dirCopyContents", "true")]
            if add { fields.append(("attemptUnpackDockerCompatibility", "true")) }
            fields += [("createDestPath", "true"), ("allowWildcard", "true"), ("allowEmptyWildcard", "true"), ("timestamp", "-1")]
            return goString(Data(goObject(fields).utf8).base64EncodedString())
        }
        var document = [("Type", goString("buildkit.file.v0")), ("Actions", "[" + actions.joined(separator: ",") + "]")]
        // Inputs: 0 the state below, 1 the context; action i > 0 works on action i-1's result
        // (index 2 + i - 1); only the last has an output. BuildKit leaves the indexes out when
        // they are what its older checksum assumed (action i > 0 on input count + i - 1).
        if sources.count > 2 {
            let indexes = sources.indices.map { i in "[\(i == 0 ? 0 : 2 + i - 1),1,\(i == sources.count - 1 ? 0 : -1)]" }
            document.append(("indexes", "[" + indexes.joined(separator: ",") + "]"))
        }
        return record(Digest.sha256(of: Data(goObject(document).utf8)).description)
    }

    /// The context paths whose checksums make a copy's content record, in order: each source
    /// once, none under another, sorted.
    public static func contentPaths(_ sources: [String]) -> [String] {
        let unique = Set(sources)
        return unique.filter { p in !unique.contains { q in q != p && p.hasPrefix(q + "/") } }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// The record digest BuildKit exports for the content of context paths (its "slow" key):
    /// from each path's ``ContextContentHash`` checksum, in ``contentPaths(_:)`` order.
    public static func contentRecord(checksums: [Digest]) -> String {
        let joined = checksums.map(\.description).joined(separator: "\u{0}")
        return record(Digest.sha256(of: Data(joined.utf8)).description, output: -1)
    }

    /// The chain key of a COPY from the context: its record, the state below, the content record.
    public static func copyChain(_ parent: String, record: String, content: String) -> String {
        chain(record: record, inputs: [[(selector: "", key: parent)], [(selector: "", key: content)]])
    }

    /// The destination of `COPY … dest` as Docker 20.10's frontend writes it in the copy action.
    public static func copyDestination(_ dest: String, workingDirectory: String) -> String {
        let relative = dest.hasPrefix("/") ? dest : workingDirectory + "/" + dest
        var result = goClean("/" + relative)
        if dest == "." || dest.isEmpty || dest.hasSuffix("/") { result += "/" }
        // llb's normalizePath: cleaned again, a trailing slash kept.
        let cleaned = goClean(result)
        return result.hasSuffix("/") && !cleaned.hasSuffix("/") ? cleaned + "/" : cleaned
    }

    /// Go's `path.Clean` of an absolute path.
    public static func goClean(_ p: String) -> String {
        var parts: [Substring] = []
        for component in p.split(separator: "/") {
            if component == "." { continue }
            if component == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(component)
        }
        return "/" + parts.joined(separator: "/")
    }
}

/// The BuildKit records of a stage's steps since its base image, as Docker 20.10 would export them
/// (for `--cache-to type=inline`, so that `docker build --cache-from` reuses kiln's layers).
public struct BuildKitTrail: Sendable, Equatable {
    /// The base image's root record digests.
    public var roots: [String]
    public var steps: [Step]

    public struct Step: Sendable, Equatable {
        /// The step's record digest.
        public var record: String
        /// A COPY's content record digest (its second input).
        public var content: String?
        /// The index of the step's layer in the stage's layers.
        public var layer: Int

        public init(record: String, content: String? = nil, layer: Int) {
            self.record = record
            self.content = content
            self.layer = layer
        }
    }

    public init(roots: [String], steps: [Step] = []) {
        self.roots = roots
        self.steps = steps
    }

    /// The records as BuildKit links them: the roots (no result), then each step with its layer
    /// (an index into `diffIDs`' image) and its inputs: the step before (or every root) and, for a
    /// COPY, its content record. `offset`: the index the first record will have in the list.
    public func records(offset: Int, layerCount: Int, created: [Int: String] = [:]) -> [BuildKitCacheConfig.Record] {
        var records: [BuildKitCacheConfig.Record] = []
        func add(_ digest: String, layer: Int? = nil, inputs: [[Int]] = []) -> Int? {
            guard let digest = Digest(digest) else { return nil }
            records.append(BuildKitCacheConfig.Record(digest: digest, layers: layer.map { [.init(layer: $0, createdAt: created[$0])] }, chains: nil,
                                                      inputs: inputs.isEmpty ? nil : inputs.map { $0.map { .init(selector: nil, link: $0) } }))
            return offset + records.count - 1
        }
        var previous = roots.compactMap { add($0) }
        for step in steps where step.layer < layerCount && !previous.isEmpty {
            var inputs = [previous]
            if let content = step.content {
                guard let link = add(content) else { break }
                inputs.append([link])
            }
            guard let index = add(step.record, layer: step.layer, inputs: inputs) else { break }
            previous = [index]
        }
        return steps.isEmpty ? [] : records
    }
}

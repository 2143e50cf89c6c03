/// The predefined proxy build args (`HTTP_PROXY`, `HTTPS_PROXY`, `FTP_PROXY`, `NO_PROXY`,
/// `ALL_PROXY`, any case): given with `--build-arg` they reach every RUN without an `ARG` line,
/// and stay out of the image config, the history and the cache key. As BuildKit does it
/// (dockerfile2llb `proxyEnvFromBuildArgs`, the executor's `proxyEnvList`; the exec op's cache map
/// drops `ProxyEnv`): names match case-insensitively, and each value is set under both its
/// upper- and lower-case name.
extension Builder {
    static let proxyNames = ["HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY"]

    /// `NAME=value` entries to add to a RUN environment; a name `present` already has (ENV, or a
    /// declared ARG) is left alone.
    static func proxyEnvironment(_ buildArgs: [String: String], present: [String]) -> [String] {
        let presentNames = Set(present.map { String($0.prefix { $0 != "=" }) })
        var result: [String] = []
        for name in proxyNames {
            // Sorted keys, the last one of any case wins (as BuildKit iterates them).
            guard let value = buildArgs.keys.sorted().last(where: { $0.uppercased() == name }).flatMap({ buildArgs[$0] }),
                  !value.isEmpty else { continue }
            for variant in [name, name.lowercased()] where !presentNames.contains(variant) {
                result.append(variant + "=" + value)
            }
        }
        return result
    }
}

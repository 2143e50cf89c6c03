import Foundation

/// Bearer tokens by registry host and scope, each kept until shortly before it expires.
///
/// The key's scope is the space-joined wire form of the scopes the token was requested for.
/// `now` is injectable for tests.
public actor TokenCache {
    struct Key: Hashable {
        var host: String
        var scope: String
    }

    struct Entry {
        var token: String
        var expires: Date
    }

    private var entries: [Key: Entry] = [:]
    private let now: @Sendable () -> Date
    /// Tokens are dropped this long before their stated expiry, to absorb clock skew and latency.
    let margin: TimeInterval = 5

    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    /// The cached token for `host` and `scope`, if any and still valid.
    public func token(host: String, scope: String) -> String? {
        let key = Key(host: host, scope: scope)
        guard let entry = entries[key] else { return nil }
        guard entry.expires > now() else {
            entries[key] = nil
            return nil
        }
        return entry.token
    }

    /// Remembers `token` for `expiresIn` seconds (the token spec's default is 60).
    public func store(_ token: String, host: String, scope: String, expiresIn: TimeInterval) {
        entries[Key(host: host, scope: scope)] = Entry(token: token, expires: now().addingTimeInterval(max(0, expiresIn - margin)))
    }

    /// Forgets a token the registry rejected.
    public func remove(host: String, scope: String) {
        entries[Key(host: host, scope: scope)] = nil
    }
}

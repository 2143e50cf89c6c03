/// A token-auth scope: `repository:library/busybox:pull,push` (Docker token spec).
///
/// `description` is the wire form; several scopes travel as repeated `scope=` query parameters.
public struct RegistryScope: Sendable, Hashable, CustomStringConvertible {
    public var type: String
    public var name: String
    public var actions: [String]

    public init(type: String = "repository", name: String, actions: [String]) {
        self.type = type
        self.name = name
        self.actions = actions
    }

    public static func pull(_ repository: String) -> RegistryScope {
        RegistryScope(name: repository, actions: ["pull"])
    }

    public static func push(_ repository: String) -> RegistryScope {
        RegistryScope(name: repository, actions: ["pull", "push"])
    }

    public var description: String { "\(type):\(name):\(actions.joined(separator: ","))" }

    /// Parses `type:name:actions`; the name may itself contain `:` (a registry with a port in
    /// `repository(plugin)` forms), so type is up to the first colon and actions after the last.
    public init?(parsing text: String) {
        guard let first = text.firstIndex(of: ":"), let last = text.lastIndex(of: ":"), first < last else { return nil }
        type = String(text[..<first])
        name = String(text[text.index(after: first)..<last])
        actions = text[text.index(after: last)...].split(separator: ",").map(String.init)
        guard !type.isEmpty, !name.isEmpty else { return nil }
    }
}

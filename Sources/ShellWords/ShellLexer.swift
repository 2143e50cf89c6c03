/// Variables visible to an expansion. Names are case-sensitive (Linux).
public struct ShellEnvironment: Sendable, Hashable {
    public private(set) var values: [String: String]

    public init(_ values: [String: String] = [:]) {
        self.values = values
    }

    public subscript(name: String) -> String? {
        get { values[name] }
        set { values[name] = newValue }
    }
}

/// An expansion failure (`missing '}'`, `bad substitution`, `FOO: is not allowed to be unset`).
public struct ExpansionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The result of expanding one word, with the variable names that were looked up.
public struct Expansion: Sendable, Equatable {
    public var result: String
    public var matched: Set<String>
    public var unmatched: Set<String>
}

/// BuildKit's shell-word lexer (`frontend/dockerfile/shell`): `$VAR`, `${VAR…}` forms, quotes,
/// escapes and word splitting, with the escape token set by `# escape=`.
public struct ShellLexer: Sendable {
    public var escapeToken: Character
    public init(escapeToken: Character = "\\") {
        self.escapeToken = escapeToken
    }

    public func processWord(_ word: String, env: ShellEnvironment) throws(ExpansionError) -> String {
        throw ExpansionError("not implemented yet")
    }

    public func processWordWithMatches(_ word: String, env: ShellEnvironment) throws(ExpansionError) -> Expansion {
        throw ExpansionError("not implemented yet")
    }

    public func processWords(_ word: String, env: ShellEnvironment) throws(ExpansionError) -> [String] {
        throw ExpansionError("not implemented yet")
    }
}

import Foundation

/// A git source as BuildKit's Dockerfile frontend recognizes one in `ADD` (and in a build context):
/// `https://host/repo.git#ref:subdir`, `git://…`, `ssh://…`, `user@host:path`, with the fragment
/// forms `#ref[:subdir]` and `##ref=…,commit=…,subdir=…` and the query keys `ref`, `tag`, `branch`,
/// `subdir`, `commit`/`checksum`, `keep-git-dir` (BuildKit util/gitutil/git_url.go,
/// frontend/dockerfile/dfgitutil/git_ref.go).
struct GitReference: Equatable, Sendable {
    /// The remote as git is given it: the source without fragment and query.
    var remote: String
    /// A branch, a tag, a full ref (`refs/…`) or a full commit hash; empty for the default branch.
    var ref: String
    /// A directory inside the repository whose content is used instead of the root.
    var subdir: String
    /// A commit hash (prefix) the resolved ref must match (`##commit=` or `?commit=`).
    var checksum: String?
    /// `?keep-git-dir=` in the URL.
    var keepGitDir: Bool?

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    private static let schemes: Set<String> = ["http", "https", "ssh", "git"]

    /// The git reference `source` denotes, nil when it is no git source (a local path or a plain
    /// HTTP(S) URL, whose path does not end in `.git`). Throws for a git source whose fragment or
    /// query is malformed.
    ///
    /// As in BuildKit, `./x` and `../x` are local; `github.com/…` (deprecated, indistinguishable
    /// from a local path) stays local for ADD. The scp-like form needs a user (`git@host:path`),
    /// so a local file name with a colon is never taken for a remote.
    static func detect(_ source: String) throws -> GitReference? {
        if source.hasPrefix("./") || source.hasPrefix("../") || source.hasPrefix("github.com/") { return nil }
        if let schemeEnd = source.range(of: "://"),
           !source[..<schemeEnd.lowerBound].isEmpty,
           source[..<schemeEnd.lowerBound].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
            let scheme = source[..<schemeEnd.lowerBound].lowercased()
            guard schemes.contains(scheme) else { return nil }
            var rest = source
            var fragment: String?
            if let hash = rest.firstIndex(of: "#") {
                fragment = String(rest[rest.index(after: hash)...])
                rest = String(rest[..<hash])
            }
            var query: String?
            if let mark = rest.firstIndex(of: "?") {
                query = String(rest[rest.index(after: mark)...])
                rest = String(rest[..<mark])
            }
            if scheme == "http" || scheme == "https" {
                let afterScheme = rest[schemeEnd.upperBound...]
                let path = afterScheme.firstIndex(of: "/").map { String(afterScheme[$0...]) } ?? ""
                guard path.hasSuffix(".git") else { return nil }
            }
            var result = GitReference(remote: rest, ref: "", subdir: "")
            try result.applyFragment(fragment)
            if let query { try result.applyQuery(query) }
            return result
        }
        // scp-like: user@host:path[#fragment] (BuildKit's sshutil pattern, with the user required).
        guard let at = source.firstIndex(of: "@") else { return nil }
        let user = source[..<at]
        guard !user.isEmpty, user.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        let afterUser = source[source.index(after: at)...]
        guard let colon = afterUser.firstIndex(of: ":") else { return nil }
        let host = afterUser[..<colon]
        guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }) else { return nil }
        var remote = source
        var fragment: String?
        if let hash = source.firstIndex(of: "#"), hash > colon {
            fragment = String(source[source.index(after: hash)...])
            remote = String(source[..<hash])
        }
        var result = GitReference(remote: remote, ref: "", subdir: "")
        try result.applyFragment(fragment)
        return result
    }

    /// `#ref:subdir`, or the CSV form `##ref=…,commit=…,subdir=…`.
    private mutating func applyFragment(_ fragment: String?) throws {
        guard let fragment, !fragment.isEmpty else { return }
        if fragment.hasPrefix("#") {
            let fields = fragment.dropFirst().split(separator: ",", omittingEmptySubsequences: true)
            for field in fields {
                guard let eq = field.firstIndex(of: "=") else {
                    throw ParseError(description: "invalid field '\(field)' must be a key=value pair")
                }
                let key = field[..<eq].lowercased()
                let value = String(field[field.index(after: eq)...])
                switch key {
                case "ref": ref = value
                case "commit": checksum = value
                case "subdir": subdir = value
                default:
                    throw ParseError(description: "unexpected key '\(key)' in '\(field)' (supported keys: ref, commit, subdir)")
                }
            }
            if let checksum, ref.isEmpty { ref = checksum }
            return
        }
        if let colon = fragment.firstIndex(of: ":") {
            ref = String(fragment[..<colon])
            subdir = String(fragment[fragment.index(after: colon)...])
        } else {
            ref = fragment
        }
    }

    /// The query keys of BuildKit's dfgitutil (`?ref=`, `?tag=`, `?branch=`, `?subdir=`, `?commit=`, `?keep-git-dir`).
    private mutating func applyQuery(_ query: String) throws {
        var tag = "", branch = ""
        var seen = Set<String>()
        for item in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            guard seen.insert(key).inserted else { throw ParseError(description: "query \"\(key)\" has multiple values") }
            if value.isEmpty, key != "keep-git-dir", key != "submodules" {
                throw ParseError(description: "query \"\(key)\" has no value")
            }
            switch key {
            case "ref":
                if !ref.isEmpty, ref != value { throw ParseError(description: "ref conflicts: \"\(ref)\" vs \"\(value)\"") }
                ref = value
            case "tag": tag = value
            case "branch": branch = value
            case "subdir":
                if !subdir.isEmpty, subdir != value { throw ParseError(description: "subdir conflicts: \"\(subdir)\" vs \"\(value)\"") }
                subdir = value
            case "checksum", "commit": checksum = value
            case "keep-git-dir":
                switch value.lowercased() {
                case "", "1", "t", "true": keepGitDir = true
                case "0", "f", "false": keepGitDir = false
                default: throw ParseError(description: "invalid keep-git-dir value: \"\(value)\"")
                }
            case "submodules": break
            default: throw ParseError(description: "unexpected query \"\(key)\"")
            }
        }
        if !tag.isEmpty {
            let full = tag.hasPrefix("refs/tags/") ? tag : "refs/tags/" + tag
            if !ref.isEmpty, ref != full { throw ParseError(description: "ref conflicts: \"\(ref)\" vs \"\(full)\"") }
            ref = full
        }
        if !branch.isEmpty {
            if !tag.isEmpty { throw ParseError(description: "branch conflicts with tag") }
            let full = branch.hasPrefix("refs/heads/") ? branch : "refs/heads/" + branch
            if !ref.isEmpty, ref != full { throw ParseError(description: "ref conflicts: \"\(ref)\" vs \"\(full)\"") }
            ref = full
        }
        if let checksum, ref.isEmpty { ref = checksum }
    }

    /// A full commit hash (SHA-1 or SHA-256), which needs no lookup.
    static func isCommitHash(_ s: String) -> Bool {
        (s.utf8.count == 40 || s.utf8.count == 64) && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }
}

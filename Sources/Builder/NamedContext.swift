import Foundation
import ImageSpec

/// A `--build-context NAME=VALUE` source (buildx). It replaces what `FROM NAME`, `COPY --from=NAME`
/// and `RUN --mount=from=NAME` would have resolved: a stage named NAME (whose instructions then do
/// not run), else an image named NAME (`alpine` overrides `FROM alpine` and `FROM
/// docker.io/library/alpine:latest`). BuildKit frontend/dockerui/namedcontext.go, config.go.
public enum NamedContext: Sendable, Equatable {
    /// A local directory (its own `.dockerignore` applies; as a FROM base it is the root filesystem
    /// of an image without config).
    case directory(String)
    /// `docker-image://REF`: an image, local or pulled (`docker-image://scratch`: empty).
    case image(String)
    /// A git repository (`https://host/repo.git#ref:subdir`, `git@host:repo`), as its files.
    case git(String)
    /// `oci-layout://PATH[:TAG|@DIGEST]`: an image in an OCI layout; the CLI loads it and passes
    /// `.image` of its ID.
    case ociLayout(path: String, reference: String?)
    /// An image already in the store, by manifest (an `oci-layout://` context once loaded).
    case storedImage(Descriptor)

    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Parses one `--build-context` value `NAME=VALUE` (buildx's forms). A relative directory is
    /// taken relative to `workingDirectory`.
    public static func parse(_ flag: String, workingDirectory: String) throws -> (name: String, context: NamedContext) {
        guard let eq = flag.firstIndex(of: "="), eq != flag.startIndex else {
            throw ParseError(description: "invalid context value: \(flag), expected key=value")
        }
        let name = String(flag[..<eq])
        let value = String(flag[flag.index(after: eq)...])
        guard !value.isEmpty else { throw ParseError(description: "invalid context value: \(flag), expected key=value") }
        let lower = name.lowercased()
        if lower == "scratch" || lower == "context" {
            throw ParseError(description: "\(name) is a reserved name and cannot be used as a build context name")
        }
        if value.hasPrefix("docker-image://") {
            let ref = String(value.dropFirst("docker-image://".count))
            guard !ref.isEmpty else { throw ParseError(description: "invalid context value: \(flag): no image") }
            return (name, .image(ref))
        }
        if value.hasPrefix("oci-layout://") {
            var rest = String(value.dropFirst("oci-layout://".count))
            var reference: String?
            if let at = rest.lastIndex(of: "@") {
                reference = String(rest[at...])
                rest = String(rest[..<at])
            } else if let colon = rest.lastIndex(of: ":"), !rest[rest.index(after: colon)...].contains("/") {
                reference = String(rest[rest.index(after: colon)...])
                rest = String(rest[..<colon])
            }
            return (name, .ociLayout(path: absolute(rest, workingDirectory), reference: reference))
        }
        if (try? GitReference.detect(value)) != nil {
            return (name, .git(value))
        }
        if value.hasPrefix("http://") || value.hasPrefix("https://") {
            throw ParseError(description: "kiln does not support an HTTP(S) tarball as build context \(name) (\(value))")
        }
        if value.hasPrefix("target:") {
            throw ParseError(description: "target: build contexts are a bake feature, not supported by kiln build")
        }
        return (name, .directory(absolute(value, workingDirectory)))
    }

    private static func absolute(_ path: String, _ cwd: String) -> String {
        let joined = path.hasPrefix("/") ? path : (cwd.hasSuffix("/") ? cwd : cwd + "/") + path
        return URL(fileURLWithPath: joined).standardizedFileURL.path
    }

    /// The key a name is looked up by: BuildKit normalizes it as an image reference and drops a
    /// `:latest` tag (`docker.io/library/alpine:latest` → `alpine`). Nil for `scratch`, `context`
    /// and names that are no reference.
    static func lookupKey(_ name: String) -> String? {
        let lower = name.lowercased()
        guard lower != "scratch", lower != "context" else { return nil }
        guard let reference = try? ImageReference(parsing: name, addingDefaultTag: false) else { return nil }
        var key = reference.familiar
        if key.hasSuffix(":latest") { key.removeLast(":latest".count) }
        return key
    }
}

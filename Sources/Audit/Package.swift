import Foundation

/// A package the image carries, read from a package database in its final filesystem.
public struct Package: Sendable, Codable, Hashable {
    /// The purl type: `deb`, `apk`, `pypi`, `npm`.
    public var type: String
    public var name: String
    public var version: String
    public var architecture: String?
    /// The declared license text, when the database has one (apk, Python, npm).
    public var license: String?
    /// The source package (dpkg `Source`, apk origin).
    public var source: String?
    /// Where in the image it is recorded (the database file).
    public var location: String
    /// The package URL (github.com/package-url/purl-spec).
    public var purl: String

    init(type: String, name: String, version: String, architecture: String? = nil, license: String? = nil, source: String? = nil, location: String) {
        self.type = type
        self.name = name
        self.version = version
        self.architecture = architecture
        self.license = license
        self.source = source
        self.location = location
        self.purl = ""
    }

    /// Fills in `purl`; `distro` is the os-release ID and VERSION_ID (`debian`, `12`) when known.
    mutating func assignPurl(distroID: String?, distroVersion: String?) {
        var namespace: String?
        var name = self.name
        var qualifiers: [(String, String)] = []
        switch type {
        case "deb":
            namespace = distroID ?? "debian"
            if let architecture { qualifiers.append(("arch", architecture)) }
            if let distroID, let distroVersion { qualifiers.append(("distro", "\(distroID)-\(distroVersion)")) }
        case "apk":
            namespace = distroID ?? "alpine"
            if let architecture { qualifiers.append(("arch", architecture)) }
            if let distroID, let distroVersion { qualifiers.append(("distro", "\(distroID)-\(distroVersion)")) }
        case "pypi":
            name = name.lowercased().replacingOccurrences(of: "_", with: "-")
        case "npm":
            if name.hasPrefix("@"), let slash = name.firstIndex(of: "/") {
                namespace = String(name[..<slash])
                name = String(name[name.index(after: slash)...])
            }
        default: break
        }
        var text = "pkg:\(type)/"
        if let namespace { text += Purl.encode(namespace) + "/" }
        text += Purl.encode(name) + "@" + Purl.encode(version)
        if !qualifiers.isEmpty {
            text += "?" + qualifiers.sorted { $0.0 < $1.0 }.map { "\($0.0)=\(Purl.encode($0.1))" }.joined(separator: "&")
        }
        purl = text
    }
}

enum Purl {
    private static let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_~")

    /// Percent-encodes everything but unreserved characters (`@` in a scope becomes `%40`, an epoch's `:` `%3A`).
    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

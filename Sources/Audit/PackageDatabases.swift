import Foundation

/// The package databases an image carries, and how to read each: dpkg (`/var/lib/dpkg/status`,
/// `/var/lib/dpkg/status.d/*`), apk (`/lib/apk/db/installed`), Python (`*.dist-info/METADATA`,
/// `*.egg-info/PKG-INFO` or an `*.egg-info` file), npm (`node_modules/NAME/package.json`,
/// `node_modules/@SCOPE/NAME/package.json`).
enum PackageDatabases {
    enum Kind { case dpkgStatus, apkInstalled, pythonMetadata, npmPackage, osRelease }

    /// The kind of database file `path` (cleaned, relative) is, or nil.
    static func kind(of path: String) -> Kind? {
        if path == "var/lib/dpkg/status" { return .dpkgStatus }
        if path.hasPrefix("var/lib/dpkg/status.d/"), !path.hasSuffix(".md5sums"), !path.dropFirst(22).contains("/") { return .dpkgStatus }
        if path == "lib/apk/db/installed" { return .apkInstalled }
        if path == "etc/os-release" || path == "usr/lib/os-release" { return .osRelease }
        let base = ImagePath.base(of: path), parent = ImagePath.parent(of: path)
        if base == "METADATA", parent.hasSuffix(".dist-info") { return .pythonMetadata }
        if base == "PKG-INFO", parent.hasSuffix(".egg-info") { return .pythonMetadata }
        if base.hasSuffix(".egg-info") { return .pythonMetadata }
        if base == "package.json" {
            let parts = path.split(separator: "/")
            let n = parts.count
            if n >= 3, parts[n - 3] == "node_modules", !parts[n - 2].hasPrefix("@") { return .npmPackage }
            if n >= 4, parts[n - 4] == "node_modules", parts[n - 3].hasPrefix("@") { return .npmPackage }
        }
        return nil
    }

    /// The largest database file read (dpkg status of a big image is a few MB).
    static func limit(_ kind: Kind) -> Int64 {
        switch kind {
        case .dpkgStatus, .apkInstalled: return 256 << 20
        default: return 4 << 20
        }
    }

    static func parse(_ kind: Kind, _ bytes: [UInt8], location: String) -> [Package] {
        let text = String(decoding: bytes, as: UTF8.self)
        switch kind {
        case .dpkgStatus: return dpkg(text, location: location)
        case .apkInstalled: return apk(text, location: location)
        case .pythonMetadata: return python(text, location: location)
        case .npmPackage: return npm(bytes, location: location)
        case .osRelease: return []
        }
    }

    /// Debian control stanzas: `Key: value` lines, continuation lines starting with a blank.
    static func stanzas(_ text: String) -> [[String: String]] {
        var result: [[String: String]] = []
        var current: [String: String] = [:]
        var lastKey: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty {
                if !current.isEmpty { result.append(current) }
                current = [:]
                lastKey = nil
            } else if line.first == " " || line.first == "\t" {
                if let lastKey { current[lastKey, default: ""] += "\n" + line.trimmingCharacters(in: .whitespaces) }
            } else if let colon = line.firstIndex(of: ":") {
                let key = String(line[..<colon])
                current[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                lastKey = key
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    /// Packages dpkg considers present: any state but `not-installed` and `config-files`
    /// (what `dpkg-query -W` lists, less packages of which only configuration files remain).
    static func dpkg(_ text: String, location: String) -> [Package] {
        stanzas(text).compactMap { fields in
            guard let name = fields["Package"], let version = fields["Version"], !name.isEmpty else { return nil }
            if let status = fields["Status"]?.split(separator: " ").last, status == "not-installed" || status == "config-files" { return nil }
            let source = fields["Source"].map { String($0.split(separator: " ").first ?? "") }
            return Package(type: "deb", name: name, version: version, architecture: fields["Architecture"], source: source, location: location)
        }
    }

    static func apk(_ text: String, location: String) -> [Package] {
        var result: [Package] = []
        var fields: [Character: String] = [:]
        func flush() {
            if let name = fields["P"], let version = fields["V"] {
                result.append(Package(type: "apk", name: name, version: version, architecture: fields["A"], license: fields["L"], source: fields["o"], location: location))
            }
            fields = [:]
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { flush(); continue }
            guard line.count >= 2, line[line.index(after: line.startIndex)] == ":" else { continue }
            fields[line.first!] = String(line.dropFirst(2))
        }
        flush()
        return result
    }

    /// Core metadata (PEP 241/566): headers until the first blank line.
    static func python(_ text: String, location: String) -> [Package] {
        var headers: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { break }
            guard line.first != " ", line.first != "\t", let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].lowercased()
            if headers[key] == nil { headers[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
        }
        guard let name = headers["name"], let version = headers["version"], !name.isEmpty, !version.isEmpty else { return [] }
        let license = headers["license-expression"] ?? headers["license"].flatMap { $0.isEmpty || $0 == "UNKNOWN" ? nil : $0 }
        return [Package(type: "pypi", name: name, version: version, license: license, location: location)]
    }

    static func npm(_ bytes: [UInt8], location: String) -> [Package] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              let name = object["name"] as? String, let version = object["version"] as? String, !name.isEmpty, !version.isEmpty
        else { return [] }
        var license = object["license"] as? String
        if license == nil, let dict = object["license"] as? [String: Any] { license = dict["type"] as? String }
        return [Package(type: "npm", name: name, version: version, license: license, location: location)]
    }

    /// `ID` and `VERSION_ID` of an os-release file.
    static func osRelease(_ bytes: [UInt8]) -> (id: String?, version: String?) {
        var id: String?, version: String?
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            let value = line[line.index(after: eq)...].trimmingCharacters(in: CharacterSet(charactersIn: "\"' "))
            switch line[..<eq] {
            case "ID": id = value
            case "VERSION_ID": version = value
            default: break
            }
        }
        return (id, version)
    }
}

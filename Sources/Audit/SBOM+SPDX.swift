import Foundation

/// SBOM documents of an audited image's packages.
public enum SBOM {
    /// Who made the document, for the creator/tool fields.
    public struct Tool: Sendable {
        public var name: String
        public var version: String
        public init(name: String = "kiln", version: String) {
            self.name = name
            self.version = version
        }
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// SPDX 2.3 JSON: a document describing the image as a package that CONTAINS each package
    /// (purl external references; licenses NOASSERTION, as package databases do not carry
    /// SPDX-valid expressions reliably).
    public static func spdx(_ report: AuditReport, tool: Tool, created: Date = Date()) throws -> Data {
        try encoder().encode(spdxDocument(report, tool: tool, created: created))
    }

    static func spdxDocument(_ report: AuditReport, tool: Tool, created: Date) -> SPDXDocument {
        let imageID = "SPDXRef-Image"
        var packages = [SPDXDocument.Package(
            name: report.image, SPDXID: imageID, versionInfo: report.manifestDigest ?? report.configDigest,
            primaryPackagePurpose: "CONTAINER", externalRefs: nil)]
        var relationships = [SPDXDocument.Relationship(spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES", relatedSpdxElement: imageID)]
        var used: Set<String> = []
        for package in report.packages {
            var id = "SPDXRef-Package-\(package.type)-" + spdxIDPart(package.name) + "-" + spdxIDPart(package.version)
            if !used.insert(id).inserted {
                var n = 2
                while !used.insert("\(id)-\(n)").inserted { n += 1 }
                id += "-\(n)"
            }
            packages.append(SPDXDocument.Package(
                name: package.name, SPDXID: id, versionInfo: package.version, primaryPackagePurpose: "LIBRARY",
                externalRefs: [.init(referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: package.purl)]))
            relationships.append(.init(spdxElementId: imageID, relationshipType: "CONTAINS", relatedSpdxElement: id))
        }
        let subject = report.manifestDigest ?? report.configDigest ?? report.image
        return SPDXDocument(
            name: report.image,
            documentNamespace: "https://kiln.invalid/spdx/\(Purl.encode(subject))-\(UUID().uuidString.lowercased())",
            creationInfo: .init(created: timestamp(created), creators: ["Tool: \(tool.name)-\(tool.version)"]),
            packages: packages, relationships: relationships)
    }

    /// SPDX IDs allow letters, digits, `.` and `-`.
    static func spdxIDPart(_ text: String) -> String {
        String(text.unicodeScalars.map { scalar -> Character in
            (scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "." || scalar == "-")) ? Character(scalar) : "-"
        })
    }
}

struct SPDXDocument: Codable, Sendable {
    var spdxVersion = "SPDX-2.3"
    var dataLicense = "CC0-1.0"
    var SPDXID = "SPDXRef-DOCUMENT"
    var name: String
    var documentNamespace: String
    var creationInfo: CreationInfo
    var packages: [Package]
    var relationships: [Relationship]

    struct CreationInfo: Codable, Sendable {
        var created: String
        var creators: [String]
    }

    struct Package: Codable, Sendable {
        var name: String
        var SPDXID: String
        var versionInfo: String?
        var downloadLocation = "NOASSERTION"
        var filesAnalyzed = false
        var licenseConcluded = "NOASSERTION"
        var licenseDeclared = "NOASSERTION"
        var copyrightText = "NOASSERTION"
        var supplier = "NOASSERTION"
        var primaryPackagePurpose: String?
        var externalRefs: [ExternalRef]?

        init(name: String, SPDXID: String, versionInfo: String?, primaryPackagePurpose: String?, externalRefs: [ExternalRef]?) {
            self.name = name
            self.SPDXID = SPDXID
            self.versionInfo = versionInfo
            self.primaryPackagePurpose = primaryPackagePurpose
            self.externalRefs = externalRefs
        }
    }

    struct ExternalRef: Codable, Sendable {
        var referenceCategory: String
        var referenceType: String
        var referenceLocator: String
    }

    struct Relationship: Codable, Sendable {
        var spdxElementId: String
        var relationshipType: String
        var relatedSpdxElement: String
    }
}

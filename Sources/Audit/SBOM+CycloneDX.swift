import Foundation

extension SBOM {
    /// CycloneDX 1.5 JSON: the image as the metadata component (type container), one library
    /// component per package (bom-ref = purl).
    public static func cycloneDX(_ report: AuditReport, tool: Tool, created: Date = Date()) throws -> Data {
        let components = report.packages.map { package in
            CycloneDXDocument.Component(
                type: "library", bomRef: package.purl, name: package.name, version: package.version, purl: package.purl,
                licenses: package.license.map { [.init(license: .init(name: $0))] })
        }
        let document = CycloneDXDocument(
            serialNumber: "urn:uuid:\(UUID().uuidString.lowercased())",
            metadata: .init(
                timestamp: timestamp(created),
                tools: .init(components: [.init(type: "application", bomRef: nil, name: tool.name, version: tool.version, purl: nil, licenses: nil)]),
                component: .init(type: "container", bomRef: "image", name: report.image, version: report.manifestDigest ?? report.configDigest, purl: nil, licenses: nil)),
            components: components)
        return try encoder().encode(document)
    }
}

struct CycloneDXDocument: Codable, Sendable {
    var bomFormat = "CycloneDX"
    var specVersion = "1.5"
    var serialNumber: String
    var version = 1
    var metadata: Metadata
    var components: [Component]

    struct Metadata: Codable, Sendable {
        var timestamp: String
        var tools: Tools
        var component: Component
    }

    struct Tools: Codable, Sendable {
        var components: [Component]
    }

    struct Component: Codable, Sendable {
        var type: String
        var bomRef: String?
        var name: String
        var version: String?
        var purl: String?
        var licenses: [LicenseChoice]?

        enum CodingKeys: String, CodingKey {
            case type, bomRef = "bom-ref", name, version, purl, licenses
        }
    }

    struct LicenseChoice: Codable, Sendable {
        var license: License
    }

    struct License: Codable, Sendable {
        var name: String
    }
}

import ArgumentParser
import Builder
import Foundation
import ImageArchive
import ImageSpec
import ImageStore

/// `kiln build --build-context NAME=VALUE` (buildx): parsing, and loading `oci-layout://` contexts
/// into the store (buildx reads the layout on the client and hands BuildKit the image by digest).
enum BuildContextFlags {
    static func parse(_ flags: [String]) throws -> [String: NamedContext] {
        var result: [String: NamedContext] = [:]
        let cwd = FileManager.default.currentDirectoryPath
        for flag in flags {
            do {
                let (name, context) = try NamedContext.parse(flag, workingDirectory: cwd)
                result[name] = context
            } catch {
                printError("ERROR: \(error)")
                throw ExitCode(1)
            }
        }
        return result
    }

    /// Replaces each `oci-layout://` context by the image it names, loaded into `store`: the one
    /// image of the layout, or the one whose tag (`org.opencontainers.image.ref.name`) or manifest
    /// digest matches.
    static func load(_ contexts: [String: NamedContext], store: ContentStore) async throws -> [String: NamedContext] {
        var result = contexts
        for (name, context) in contexts {
            guard case .ociLayout(let path, let reference) = context else { continue }
            let images: [ArchiveImage]
            do {
                images = try await ImageLoader(store: store).load(from: path)
            } catch {
                printError("ERROR: build context \(name): failed to read the OCI layout \(path): \(error)")
                throw ExitCode(1)
            }
            let chosen: ArchiveImage?
            if let reference, reference.hasPrefix("@") {
                chosen = images.first { $0.manifestDescriptor.digest.description == reference.dropFirst() }
            } else if let reference {
                let digests = refNames(path).filter { $0.value == reference || $0.value.hasSuffix(":" + reference) }.map(\.key)
                chosen = images.first { image in
                    digests.contains(image.manifestDescriptor.digest.description) || image.references.contains { $0.tag == reference }
                }
            } else {
                chosen = images.count == 1 ? images[0] : nil
            }
            guard let chosen else {
                let what = reference.map { "no image \($0) in" } ?? "\(images.count) images (name one with :TAG or @DIGEST) in"
                printError("ERROR: build context \(name): \(what) the OCI layout \(path)")
                throw ExitCode(1)
            }
            result[name] = .storedImage(chosen.manifestDescriptor)
        }
        return result
    }

    /// The `org.opencontainers.image.ref.name` of each manifest in a layout directory's index.json,
    /// by digest (OCI image-layout spec).
    static func refNames(_ path: String) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path + "/index.json"),
              let index = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let manifests = index["manifests"] as? [[String: Any]] else { return [:] }
        var result: [String: String] = [:]
        for manifest in manifests {
            if let digest = manifest["digest"] as? String,
               let name = (manifest["annotations"] as? [String: Any])?["org.opencontainers.image.ref.name"] as? String {
                result[digest] = name
            }
        }
        return result
    }
}

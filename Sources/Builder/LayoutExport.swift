import Foundation
import ImageSpec
import ImageStore

/// Writes a built image as an OCI image layout directory (blobs copied from the store).
public enum LayoutExport {
    public static func write(_ result: BuildResult, store: ContentStore, to directory: String, names: [String]) throws {
        let fm = FileManager.default
        let blobs = URL(fileURLWithPath: directory).appendingPathComponent("blobs/sha256")
        try fm.createDirectory(at: blobs, withIntermediateDirectories: true)
        for descriptor in [result.manifestDescriptor, result.configDescriptor] + result.manifest.layers {
            let target = blobs.appendingPathComponent(descriptor.digest.hex)
            if fm.fileExists(atPath: target.path) { continue }
            let source = try store.open(descriptor.digest)
            if link(source.path, target.path) != 0 {
                try fm.copyItem(at: source, to: target)
            }
        }
        var manifests: [Descriptor] = []
        for name in names.isEmpty ? [""] : names {
            var d = result.manifestDescriptor
            if !name.isEmpty { d.annotations = [Descriptor.refNameAnnotation: name] }
            manifests.append(d)
        }
        let index = Index(manifests: manifests)
        try JSONBlob(encoding: index).bytes.write(to: URL(fileURLWithPath: directory).appendingPathComponent("index.json"))
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: directory).appendingPathComponent("oci-layout"))
    }
}

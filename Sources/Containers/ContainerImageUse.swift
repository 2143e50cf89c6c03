import Foundation
import ImageSpec
import ImageStore
import Images

/// Images that containers use cannot be deleted from under them (Docker's rmi conflicts): the
/// image's layer snapshots are the lower layers of its containers' root filesystems.
public enum ContainerImageUse {
    /// Docker's conflict message when removing `name` would delete `image` while a container uses
    /// it: always for a running container ("cannot be forced"), without `force` for a stopped one.
    public static func conflict(removing name: String, image: LocalImage, force: Bool, location: StoreLocation) -> String? {
        let namedReference = (try? ImageReference(parsing: name)).flatMap { image.references.contains($0) ? $0 : nil }
        if namedReference != nil, image.references.count > 1 { return nil }  // only untags
        let containers = ContainerStore(location: location)
        let users = containers.all().filter { $0.imageID == image.id.description }
        if let running = users.first(where: { containers.state($0.id).status == "running" }) {
            return "conflict: unable to delete \(image.shortID()) (cannot be forced) - image is being used by running container \(running.shortID)"
        }
        guard !force, let stopped = users.first else { return nil }
        if namedReference != nil {
            return "conflict: unable to remove repository reference \"\(name)\" (must force) - container \(stopped.shortID) is using its referenced image \(image.shortID())"
        }
        return "conflict: unable to delete \(image.shortID()) (must be forced) - image is being used by stopped container \(stopped.shortID)"
    }
}

import Foundation
import ImageSpec

/// BuildKit's `InvalidBaseImagePlatform` build warning: the base image a stage got (a local image
/// used as is, or a registry image with no index) is for another platform than the stage asked for.
/// The build goes on (the image may still run, e.g. through QEMU); the warning says what happened.
enum BaseImagePlatformWarning {
    static func message(image: String, actual: Platform, expected: Platform, line: Int?) -> String? {
        guard !Builder.samePlatform(actual, expected) else { return nil }
        let at = line.map { " (line \($0))" } ?? ""
        return "WARNING: InvalidBaseImagePlatform: Base image \(image) was pulled with platform \"\(actual)\", expected \"\(expected)\" for current build\(at)\n"
    }
}

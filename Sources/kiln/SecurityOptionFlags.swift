import ArgumentParser
import ContainerRuntime
import Foundation

/// `kiln run --security-opt` values, as Docker reads them: `seccomp=unconfined`, `seccomp=PROFILE.json`
/// (Docker's profile format; the file is read once, at `run`), `no-new-privileges[=true|false]`; `:` may
/// stand for `=`. Anything else (apparmor, label, systempaths …) is refused: kiln has no such knob.
struct SecurityOptionFlags {
    /// "unconfined", a profile's JSON, or nil for Docker's default profile.
    var seccomp: String?
    var noNewPrivileges = false

    init(_ values: [String]) throws {
        for value in values {
            let separator = value.firstIndex(where: { $0 == "=" || $0 == ":" })
            let key = separator.map { String(value[..<$0]) } ?? value
            let argument = separator.map { String(value[value.index(after: $0)...]) }
            switch (key, argument) {
            case ("seccomp", "unconfined"?):
                seccomp = "unconfined"
            case ("seccomp", let path?) where !path.isEmpty:
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw ValidationError("opening seccomp profile (\(path)) failed: no such file or directory")
                }
                _ = try SeccompProfile.decode(data, source: path)
                seccomp = String(decoding: data, as: UTF8.self)
            case ("no-new-privileges", nil), ("no-new-privileges", "true"?):
                noNewPrivileges = true
            case ("no-new-privileges", "false"?):
                noNewPrivileges = false
            default:
                throw ValidationError("invalid --security-opt: \"\(value)\" (kiln supports seccomp=unconfined|PROFILE.json and no-new-privileges)")
            }
        }
    }
}

import ArgumentParser
import Foundation
import ImageSpec
import Images

/// `kiln inspect IMAGE...`, as `docker image inspect`: a JSON array, four-space indented, with
/// Docker's fields in Docker's order. Missing images print `Error: No such image: …` and exit 1.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more images")

    @OptionGroup var store: StoreOptions

    @Argument(help: ArgumentHelp("Images to inspect", valueName: "IMAGE"))
    var images: [String]

    func run() async throws {
        var missing: [String] = []
        let documents = try await ImageCommandSupport.withService(store) { service in
            var documents: [GoJSON] = []
            for name in images {
                guard let image = try await service.localImage(name) else {
                    missing.append(name)
                    continue
                }
                documents.append(Self.document(image, size: service.uncompressedSize(of: image)))
            }
            return documents
        }
        printOut(GoJSON.array(documents).pretty)
        for name in missing { printError("Error: No such image: \(name)") }
        if !missing.isEmpty { throw ExitCode(1) }
    }

    static func document(_ image: LocalImage, size: Int64) -> GoJSON {
        let config = image.config
        var members: [(String, GoJSON)] = [
            ("Id", .string(image.id.description)),
            ("RepoTags", .array(image.references.filter { $0.tag != nil && $0.digest == nil }.map { .string($0.familiar) })),
            ("RepoDigests", .array(repoDigests(image).map { .string($0) })),
            ("Parent", .string("")),
            ("Comment", .string(extraString(config.extraFields["comment"]))),
            ("Created", .string(config.created?.text ?? "")),
            ("DockerVersion", .string(extraString(config.extraFields["docker_version"]))),
            ("Author", .string(config.author ?? "")),
            ("Config", containerConfig(config.config)),
            ("Architecture", .string(config.platform.architecture)),
        ]
        if let variant = config.platform.variant { members.append(("Variant", .string(variant))) }
        members.append(("Os", .string(config.platform.os)))
        if let version = config.platform.osVersion { members.append(("OsVersion", .string(version))) }
        members += [
            ("Size", .int(size)),
            ("GraphDriver", .object([("Data", .null), ("Name", .string("kiln"))])),
            ("RootFS", .object([("Type", .string(config.rootfs.type)), ("Layers", .array(config.rootfs.diffIDs.map { .string($0.description) }))])),
            ("Metadata", .object([("LastTagTime", .string("0001-01-01T00:00:00Z"))])),
        ]
        return .object(members)
    }

    static func repoDigests(_ image: LocalImage) -> [String] {
        var result: [String] = []
        for reference in image.repoDigests + image.references.filter({ $0.digest != nil }) {
            let text = reference.familiarName + "@" + (reference.digest?.description ?? "")
            if !result.contains(text) { result.append(text) }
        }
        return result
    }

    /// Docker's `container.Config` as `docker image inspect` shows it.
    static func containerConfig(_ c: ContainerConfig) -> GoJSON {
        var members: [(String, GoJSON)] = [
            ("Hostname", .string("")), ("Domainname", .string("")), ("User", .string(c.user ?? "")),
            ("AttachStdin", .bool(false)), ("AttachStdout", .bool(false)), ("AttachStderr", .bool(false)),
        ]
        if !c.exposedPorts.isEmpty { members.append(("ExposedPorts", .object(c.exposedPorts.sorted().map { ($0, .object([])) }))) }
        members += [("Tty", .bool(false)), ("OpenStdin", .bool(false)), ("StdinOnce", .bool(false)),
                    ("Env", c.env.isEmpty ? .null : GoJSON.strings(c.env)), ("Cmd", GoJSON.strings(c.cmd))]
        if let check = c.healthcheck {
            var health: [(String, GoJSON)] = []
            if !check.test.isEmpty { health.append(("Test", GoJSON.strings(check.test))) }
            for (key, value) in [("Interval", check.interval), ("Timeout", check.timeout), ("StartPeriod", check.startPeriod), ("StartInterval", check.startInterval)] where value != .zero {
                let (seconds, attos) = value.components
                health.append((key, .int(seconds * 1_000_000_000 + attos / 1_000_000_000)))
            }
            if check.retries != 0 { health.append(("Retries", .int(Int64(check.retries)))) }
            members.append(("Healthcheck", .object(health)))
        }
        if c.argsEscaped { members.append(("ArgsEscaped", .bool(true))) }
        members += [
            ("Image", .string(extraString(c.extraFields["Image"]))),
            ("Volumes", c.volumes.isEmpty ? .null : .object(c.volumes.sorted().map { ($0, .object([])) })),
            ("WorkingDir", .string(c.workingDir ?? "")),
            ("Entrypoint", GoJSON.strings(c.entrypoint)),
            ("OnBuild", c.onBuild.isEmpty ? .null : GoJSON.strings(c.onBuild)),
            ("Labels", c.labels.isEmpty ? .null : .object(c.labels.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
        ]
        if let signal = c.stopSignal { members.append(("StopSignal", .string(signal))) }
        if let shell = c.shell { members.append(("Shell", GoJSON.strings(shell))) }
        return .object(members)
    }

    static func extraString(_ value: JSONValue?) -> String {
        if case .string(let text)? = value { return text }
        return ""
    }
}

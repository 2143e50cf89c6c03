import DockerfileSyntax
import Foundation
import ImageSpec

/// `docker import --change` / `docker commit --change`: Dockerfile instructions applied to an
/// image's container config, as Docker's `BuildFromConfig` does. Allowed: CMD, ENTRYPOINT, ENV,
/// EXPOSE, LABEL, ONBUILD, USER, VOLUME, WORKDIR. Values are taken literally (no `$VAR` expansion).
enum ImportChanges {
    static let allowed: Set<String> = ["cmd", "entrypoint", "env", "expose", "label", "onbuild", "user", "volume", "workdir"]

    /// `config` with every change applied in order. Throws ``ArchiveError`` (`invalidChange`).
    static func apply(_ changes: [String], to config: ContainerConfig) throws -> ContainerConfig {
        var config = config
        var cmdSet = false
        for change in changes {
            let nodes: [Node]
            do {
                nodes = try DockerfileParser.parse(change).nodes
            } catch {
                throw ArchiveError(.invalidChange, "invalid change \"\(change)\"", cause: error.description)
            }
            for node in nodes {
                let keyword = node.keyword.lowercased()
                guard allowed.contains(keyword) else {
                    throw ArchiveError(.invalidChange, "\(keyword) is not a valid change command")
                }
                let instruction: Instruction
                do {
                    instruction = try Instruction.parse(node)
                } catch {
                    throw ArchiveError(.invalidChange, "invalid change \"\(change)\"", cause: error.description)
                }
                try apply(instruction, to: &config, cmdSet: &cmdSet)
            }
        }
        return config
    }

    private static func apply(_ instruction: Instruction, to config: inout ContainerConfig, cmdSet: inout Bool) throws {
        switch instruction {
        case .cmd(let cmd):
            config.cmd = command(cmd.command)
            cmdSet = true
        case .entrypoint(let entrypoint):
            config.entrypoint = command(entrypoint.command)
            if !cmdSet { config.cmd = nil }
        case .env(let env):
            for pair in env.pairs {
                config.env.removeAll { $0 == pair.key || $0.hasPrefix(pair.key + "=") }
                config.env.append(pair.key + "=" + pair.value)
            }
        case .expose(let expose):
            for port in expose.ports { config.exposedPorts.formUnion(try ports(port)) }
        case .label(let label):
            for pair in label.labels { config.labels[pair.key] = pair.value }
        case .onbuild(let onbuild):
            config.onBuild.append(onbuild.expression)
        case .user(let user):
            config.user = user.user
        case .volume(let volume):
            for path in volume.volumes where !path.isEmpty { config.volumes.insert(path) }
        case .workdir(let workdir):
            let path = workdir.path
            let base = config.workingDir ?? "/"
            config.workingDir = path.hasPrefix("/") ? clean(path) : clean(base + "/" + path)
        default:
            throw ArchiveError(.invalidChange, "\(instruction.keyword.lowercased()) is not a valid change command")
        }
    }

    /// Exec form as written; shell form through `/bin/sh -c` (Docker's default Linux shell).
    private static func command(_ line: ShellCommandLine) -> [String]? {
        line.prependShell ? ["/bin/sh", "-c"] + line.arguments : line.arguments
    }

    /// `80` → `80/tcp`; `8000-8002/udp` → each port of the range.
    private static func ports(_ spec: String) throws -> [String] {
        let parts = spec.split(separator: "/", maxSplits: 1).map(String.init)
        guard let range = parts.first, !range.isEmpty else { throw ArchiveError(.invalidChange, "invalid port \(spec)") }
        let proto = parts.count > 1 ? parts[1].lowercased() : "tcp"
        let bounds = range.split(separator: "-", maxSplits: 1).map { Int($0) }
        guard let low = bounds.first ?? nil, (1...65535).contains(low) || low == 0 else { throw ArchiveError(.invalidChange, "invalid port \(spec)") }
        let high = bounds.count > 1 ? (bounds[1] ?? -1) : low
        guard high >= low, high <= 65535 else { throw ArchiveError(.invalidChange, "invalid port range \(spec)") }
        return (low...high).map { "\($0)/\(proto)" }
    }

    /// A cleaned absolute path (`/a/./b/../c/` → `/a/c`).
    private static func clean(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}

import ContainerRuntime
import DockerfileSyntax
import Foundation

/// How a `RUN` with heredocs runs, as BuildKit's `dispatchRun` decides it (frontend/dockerfile/
/// dockerfile2llb/convert.go):
/// - the command is one heredoc marker (`RUN <<EOF`): when the body (after `<<-` tab stripping)
///   starts with `#!` it is written
///   to `/dev/pipes/<name>` (mode 0755, mounted read-only) and that path is the command; otherwise
///   the body itself is the command. `<<-` strips leading tabs; the body is never expanded by
///   the frontend (the shell does the expansion).
/// - anything else (`RUN cat <<A <<B`, `RUN <<EOF sh`): the line and every heredoc are put back
///   together (`line + "\n" + body + name` for each) and handed to the shell, which reads the
///   heredocs itself.
/// The result is then prefixed with the stage's SHELL (shell form only).
struct RunHeredoc: Equatable {
    /// The command before the SHELL prefix.
    var arguments: [String]
    /// The file to mount at `/dev/pipes/<name>` (shebang scripts).
    var script: (name: String, data: String)?

    static let pipesDirectory = "/dev/pipes"

    static func == (a: RunHeredoc, b: RunHeredoc) -> Bool {
        a.arguments == b.arguments && a.script?.name == b.script?.name && a.script?.data == b.script?.data
    }

    /// BuildKit's step name suffix for a lone-marker heredoc RUN (`summarizeHeredoc`): the body's
    /// first line, trimmed, with `...` when more lines follow. nil otherwise.
    static func summary(_ command: ShellCommandLine) -> String? {
        guard let first = command.files.first, command.arguments.count == 1, command.prependShell,
              Heredoc.isSingleMarker(command.arguments[0]) else { return nil }
        let body = first.data.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        return String(lines.first ?? "") + (lines.count > 1 ? "..." : "")
    }

    /// nil when the command has no heredocs. Throws BuildKit's message for a command the parser
    /// could not have produced (exec form with heredocs).
    static func resolve(_ command: ShellCommandLine) throws(BuildError) -> RunHeredoc? {
        guard let first = command.files.first else { return nil }
        guard command.arguments.count == 1, command.prependShell else {
            throw BuildError("parsing produced an invalid run command: [\(command.arguments.joined(separator: " "))]")
        }
        let line = command.arguments[0]
        guard Heredoc.isSingleMarker(line) else {
            var full = line
            for file in command.files { full += "\n" + file.data + file.name }
            return RunHeredoc(arguments: [full], script: nil)
        }
        let data = first.chomp ? Heredoc.chomp(first.data) : first.data
        // The shebang is looked for after `<<-` tab stripping (moby/buildkit#6402, "Chomp heredoc
        // before parsing shebang"; before it, a tab-indented `#!` line ran as shell text).
        if data.hasPrefix("#!") {
            return RunHeredoc(arguments: [pipesDirectory + "/" + first.name], script: (first.name, data))
        }
        return RunHeredoc(arguments: [data], script: nil)
    }
}

extension Builder {
    /// The read-only `/dev/pipes` directory holding a shebang heredoc script (0755), as BuildKit
    /// mounts it for `RUN <<EOF` whose body starts with `#!`.
    func heredocScriptMount(_ script: (name: String, data: String), dir: URL, range: SourceRange) throws -> BindMount {
        guard !script.name.isEmpty, !script.name.contains("/"), script.name != ".", script.name != ".." else {
            throw BuildError.at(range, "invalid heredoc name \(script.name)")
        }
        let pipes = dir.appendingPathComponent("pipes")
        try FileManager.default.createDirectory(at: pipes, withIntermediateDirectories: true)
        let file = pipes.appendingPathComponent(script.name)
        try Data(script.data.utf8).write(to: file)
        guard chmod(file.path, 0o755) == 0, chmod(pipes.path, 0o755) == 0 else {
            throw BuildError.at(range, "failed to prepare the heredoc script: \(String(cString: strerror(errno)))")
        }
        return BindMount(source: pipes.path, target: RunHeredoc.pipesDirectory, readOnly: true)
    }
}

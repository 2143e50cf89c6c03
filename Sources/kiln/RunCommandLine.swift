import ArgumentParser
import Foundation

/// The process a container runs, from the image's ENTRYPOINT and CMD and `kiln run`'s flags —
/// Docker's rules ("Understand how CMD and ENTRYPOINT interact", Dockerfile reference).
///
/// The image config holds both as argv lists: a shell-form instruction was stored as
/// `["/bin/sh", "-c", "text"]` by the build. So every row of the reference's table is
/// `ENTRYPOINT + CMD`: e.g. a shell-form ENTRYPOINT with any CMD gives
/// `/bin/sh -c exec_entry p1_entry exec_cmd p1_cmd`, where the shell ignores the CMD words (they
/// become `$0`, `$1`): "the shell form of ENTRYPOINT prevents any CMD command line arguments from
/// being used".
enum RunCommandLine {
    /// - `arguments` after the image replace CMD ("docker run <image> <args>" overrides CMD).
    /// - `--entrypoint X` replaces ENTRYPOINT with the single word X (not split) and clears the
    ///   image's CMD ("Passing --entrypoint will clear out any default command set on the image");
    ///   `--entrypoint ""` clears ENTRYPOINT.
    static func argv(imageEntrypoint: [String]?, imageCmd: [String]?, entrypointFlag: String?,
                     arguments: [String]) -> [String] {
        var entry = imageEntrypoint ?? []
        var cmd = imageCmd ?? []
        if let flag = entrypointFlag {
            entry = flag.isEmpty ? [] : [flag]
            cmd = []
        }
        if !arguments.isEmpty { cmd = arguments }
        return entry + cmd
    }
}

/// The `-e` and `--env-file` values of `kiln run` and `kiln exec` (ContainerEnvironment merges them
/// with the image's).
enum RunEnvironment {
    /// `-e` and `--env-file` values in order: `K=V` as given; a bare `K` takes the host's value and
    /// is left out when the host has none. Env files: one per line, `#` comments and blank lines
    /// skipped, leading whitespace trimmed.
    static func userValues(_ flags: [String], envFiles: [String]) throws -> [String] {
        var values: [String] = []
        for file in envFiles {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                printError("kiln: open \(file): no such file or directory")
                throw ExitCode(125)
            }
            for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
                var line = String(raw.drop(while: { $0 == " " || $0 == "\t" }))
                if line.hasSuffix("\r") { line.removeLast() }
                if line.isEmpty || line.hasPrefix("#") { continue }
                if let value = bare(line) { values.append(value) } else if line.contains("=") { values.append(line) }
            }
        }
        for flag in flags {
            if flag.hasPrefix("=") {
                printError("kiln: invalid environment variable: \(flag)")
                throw ExitCode(125)
            }
            if let value = bare(flag) { values.append(value) } else if flag.contains("=") { values.append(flag) }
        }
        return values
    }

    /// `K` without `=`: `K=host value`, or nil (also for `K=V`).
    private static func bare(_ text: String) -> String? {
        guard !text.contains("=") else { return nil }
        guard let value = ProcessInfo.processInfo.environment[text] else { return nil }
        return text + "=" + value
    }
}

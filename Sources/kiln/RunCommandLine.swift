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

/// The container's environment, as Docker's daemon makes it.
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

    /// PATH (default), HOSTNAME, TERM (with a terminal), then the image's and the user's variables,
    /// a later value replacing an earlier one of the same name in its place (Docker's
    /// `ReplaceOrAppendEnvValues`).
    static func merge(hostname: String, tty: Bool, imageEnv: [String], userEnv: [String]) -> [String] {
        var env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=" + hostname]
        if tty { env.append("TERM=xterm") }
        return replaceOrAppend(replaceOrAppend(env, imageEnv), userEnv)
    }

    static func replaceOrAppend(_ base: [String], _ overrides: [String]) -> [String] {
        var result = base
        for entry in overrides {
            let key = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
            if let i = result.firstIndex(where: { $0.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0] == key }) {
                result[i] = entry
            } else {
                result.append(entry)
            }
        }
        return result
    }
}

/// Signal names and numbers (Linux), as Docker's `signal.ParseSignal` reads them.
enum Signals {
    static let table: [String: Int32] = [
        "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "IOT": 6, "BUS": 7, "FPE": 8, "KILL": 9,
        "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17,
        "CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25,
        "VTALRM": 26, "PROF": 27, "WINCH": 28, "IO": 29, "POLL": 29, "PWR": 30, "SYS": 31,
    ]

    /// `SIGTERM`, `TERM`, `term`, `15` → 15; nil for anything else.
    static func number(_ text: String) -> Int32? {
        if let value = Int32(text) { return value > 0 && value < 65 ? value : nil }
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        if name.hasPrefix("RTMIN+"), let n = Int32(name.dropFirst(6)) { return 34 + n }
        return table[name]
    }
}

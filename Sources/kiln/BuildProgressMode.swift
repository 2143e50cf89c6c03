import ArgumentParser
import Builder
import Foundation

/// `kiln build --progress`: which display shows the build.
/// `auto` is the terminal view when standard error is a terminal (and `TERM` is not `dumb`), else
/// plain; `tty` forces the terminal view, `plain` the log, `rawjson` BuildKit's JSON status stream,
/// `quiet` (or `-q`) nothing.
enum BuildProgressMode: String, CaseIterable {
    case auto, plain, tty, quiet, rawjson

    static func parse(_ text: String, quiet: Bool) throws -> BuildProgressMode {
        if quiet { return .quiet }
        guard let mode = BuildProgressMode(rawValue: text.lowercased()) else {
            printError("ERROR: invalid progress mode \"\(text)\": use auto, plain, tty, quiet or rawjson")
            throw ExitCode(1)
        }
        if mode == .auto {
            let dumb = ProcessInfo.processInfo.environment["TERM"] == "dumb"
            return stderrIsTerminal && !dumb ? .tty : .plain
        }
        return mode
    }

    func display() -> BuildProgressDisplay? {
        switch self {
        case .auto, .plain: return PlainProgressWriter.standardError()
        case .tty: return TerminalProgressView()
        case .rawjson: return RawJSONProgressWriter.standardError()
        case .quiet: return nil
        }
    }
}

import Foundation
import DockerfileSyntax
import ShellWords

/// One fuzz input through the Dockerfile frontend: parse it, then expand every argument and flag
/// of every instruction with a small environment, in normal and word-splitting mode, with both
/// escape tokens. The contract under test: no input crashes or hangs; errors are fine.
public enum FrontendFuzz {
    static let environment = ShellEnvironment(["PWD": "/home", "A": "a b", "EMPTY": "", "X": "${X}"])

    public static func run(_ bytes: [UInt8]) {
        if let tree = try? DockerfileParser.parse(bytes) {
            _ = tree.dump()
            let lexer = ShellLexer(escapeToken: tree.directives.escape)
            for node in tree.nodes {
                for word in node.args + node.flags + node.nested.flatMap({ $0.args }) {
                    expand(word, lexer)
                }
            }
        }
        // The raw text as one word too: expansion must survive anything, not only what parses.
        let text = String(decoding: bytes.prefix(4096), as: UTF8.self)
        expand(text, ShellLexer(escapeToken: "\\"))
        expand(text, ShellLexer(escapeToken: "`"))
    }

    private static func expand(_ word: String, _ lexer: ShellLexer) {
        _ = try? lexer.processWord(word, env: environment)
        _ = try? lexer.processWords(word, env: environment)
    }
}

/// Which body a fuzz run exercises: `KILN_FUZZ_TARGET` = `frontend` (default), `tar`, `gzip` or
/// `documents` (manifest, index and config decoders).
public enum FuzzTargets {
    public static let all = ["frontend", "tar", "gzip", "documents"]

    public static func run(_ target: String, _ bytes: [UInt8]) {
        switch target {
        case "tar": ArchiveFuzz.tar(bytes)
        case "gzip": ArchiveFuzz.gzip(bytes)
        case "documents": ArchiveFuzz.documents(bytes)
        default: FrontendFuzz.run(bytes)
        }
    }

    static let selected: String = {
        guard let value = getenv("KILN_FUZZ_TARGET") else { return "frontend" }
        return String(cString: value)
    }()
}

/// libFuzzer's entry point (used only when built with `-sanitize=fuzzer`, see scripts/fuzz.sh).
@_cdecl("LLVMFuzzerTestOneInput")
public func kilnFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    FuzzTargets.run(FuzzTargets.selected, Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

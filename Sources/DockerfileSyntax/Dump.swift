extension SyntaxTree {
    /// BuildKit's `Node.Dump()` format, one line per instruction (see shared/vectors/parser/FORMAT.md):
    /// `(keyword ["--flag" …] "arg" …)`, with ONBUILD's trigger as a nested `( … )`. Strings are
    /// quoted like Go's `strconv.Quote`. No trailing newline.
    public func dump() -> String {
        var out: [UInt8] = []
        for node in nodes {
            out.append(UInt8(ascii: "("))
            out += node.dumpBytes()
            out += [UInt8(ascii: ")"), 0x0A]
        }
        return GoText.string(out[GoText.trim(out, 0..<out.count)])
    }
}

extension Node {
    /// This node's dump line without the surrounding parentheses.
    public func dump() -> String {
        GoText.string(dumpBytes())
    }

    func dumpBytes() -> [UInt8] {
        var out = Array(keyword.utf8)
        if !flags.isEmpty {
            out += Array(" [".utf8)
            for (i, flag) in flags.enumerated() {
                if i > 0 { out.append(0x20) }
                out += GoQuote.quote(Array(flag.utf8))
            }
            out.append(UInt8(ascii: "]"))
        }
        let raw = argumentBytes()
        for arg in raw {
            out.append(0x20)
            out += GoQuote.quote(arg)
        }
        for trigger in nested {
            out += Array(" (".utf8)
            out += trigger.dumpBytes()
            out.append(UInt8(ascii: ")"))
        }
        return Array(out[GoText.trim(out, 0..<out.count)])
    }

    /// `rawArgs` where they still describe `args`, else the UTF-8 of `args`.
    private func argumentBytes() -> [[UInt8]] {
        guard rawArgs.count == args.count else { return args.map { Array($0.utf8) } }
        return zip(rawArgs, args).map { raw, arg in
            GoText.string(raw) == arg ? raw : Array(arg.utf8)
        }
    }
}

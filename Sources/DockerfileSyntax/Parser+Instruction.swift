/// What building one instruction needs to know about its surroundings.
struct InstructionContext: Sendable {
    /// The escape token byte.
    var escape: UInt8
    /// Where the instruction is: keyword start to the end of its last line (for errors).
    var range: SourceRange
    /// ONBUILD nesting depth (0 for a top-level instruction).
    var depth = 0

    /// The context for an ONBUILD trigger (its `range` is already moved to the trigger).
    var nested: InstructionContext {
        var nested = self
        nested.depth += 1
        return nested
    }
}

extension DockerfileParser {
    /// Deepest accepted `ONBUILD ONBUILD …` chain. BuildKit has no limit here (validation
    /// rejects chaining later); we stop early so absurd inputs cannot exhaust the stack.
    static let maxOnbuildDepth = 100

    /// Turns a logical line into a node: keyword, flags, per-keyword arguments.
    /// `range` is the logical line; the node's `range` starts at the keyword's column.
    static func parseInstruction(
        _ bytes: [UInt8], _ range: Range<Int>, context: InstructionContext
    ) throws(DockerfileError) -> Node {
        guard context.depth <= maxOnbuildDepth else {
            throw DockerfileError("ONBUILD nesting is too deep (more than \(maxOnbuildDepth) levels)", range: context.range)
        }
        let line = GoText.trim(bytes, range)
        var keywordEnd = line.lowerBound
        while keywordEnd < line.upperBound, !GoText.isBlank(bytes[keywordEnd]) { keywordEnd += 1 }
        var restStart = keywordEnd
        while restStart < line.upperBound, GoText.isBlank(bytes[restStart]) { restStart += 1 }

        var flags: [String] = []
        var argsRange = line.upperBound..<line.upperBound
        if keywordEnd < line.upperBound {
            let extracted = extractFlags(bytes, restStart..<line.upperBound, escape: context.escape)
            flags = extracted.flags
            argsRange = GoText.trim(bytes, extracted.argsStart..<line.upperBound)
        }
        let keyword = GoText.string(GoText.lower(bytes, line.lowerBound..<keywordEnd))

        var nodeRange = context.range
        nodeRange.start.column += GoText.runeCount(bytes, range.lowerBound..<line.lowerBound)
        var inner = context
        inner.range = nodeRange
        if keyword == "onbuild" {
            inner.range.start.column += GoText.runeCount(bytes, line.lowerBound..<argsRange.lowerBound)
        }
        let parsed = try parseArguments(keyword: keyword, bytes, argsRange, context: inner)

        var node = Node(
            keyword: keyword,
            keywordAsWritten: GoText.string(bytes[line.lowerBound..<keywordEnd]),
            flags: flags,
            args: parsed.args.map { GoText.string($0) },
            nested: parsed.nested.map { [$0] } ?? [],
            isJSON: parsed.isJSON,
            original: GoText.string(bytes[range]),
            range: nodeRange)
        node.rawArgs = parsed.args
        return node
    }
}

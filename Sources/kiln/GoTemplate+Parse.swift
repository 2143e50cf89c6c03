import DockerfileSyntax

/// Builds `GoTemplate`'s tree from the lexer's tokens, with Go's structure rules: every `if`,
/// `range` and `with` ends with `{{end}}`, `else` only inside them, `break`/`continue` only in `range`.
struct TemplateParser {
    typealias Token = TemplateLexer.Token
    typealias Node = GoTemplate.Node
    typealias Operand = GoTemplate.Operand

    let tokens: [Token]
    var index = 0
    var rangeDepth = 0

    init(tokens: [Token]) { self.tokens = tokens }

    /// What ended a list of nodes.
    enum Terminator {
        case end, eof
        case elseBranch
        case elseIf(GoTemplate.Pipeline)
        case elseWith(GoTemplate.Pipeline)
    }

    mutating func parseTemplate() throws -> [Node] {
        let (nodes, terminator) = try parseList()
        switch terminator {
        case .eof: return nodes
        case .end: throw fail("unexpected {{end}}")
        default: throw fail("unexpected {{else}}")
        }
    }

    private var line: Int { index < tokens.count ? tokens[index].line : (tokens.last?.line ?? 1) }
    private func fail(_ message: String) -> GoTemplate.ParseError { GoTemplate.ParseError(line: line, message: message) }

    private var peek: TemplateLexer.Kind? { index < tokens.count ? tokens[index].kind : nil }

    private mutating func next() -> TemplateLexer.Kind? {
        defer { index += 1 }
        return peek
    }

    private mutating func expect(_ kind: TemplateLexer.Kind, _ context: String) throws {
        guard next() == kind else {
            index -= 1
            throw fail("unexpected \(describe(peek)) in \(context)")
        }
    }

    private func describe(_ kind: TemplateLexer.Kind?) -> String {
        switch kind {
        case nil: return "EOF"
        case .close: return "\"}}\""
        case .identifier(let name): return "<\(name)>"
        case .field(let name), .chain(let name): return "<.\(name)>"
        case .variable(let name): return "<\(name)>"
        case .string(let s): return GoQuote.quote(s)
        case .number(let n): return "\(n)"
        case .pipe: return "\"|\""
        case .leftParen: return "\"(\""
        case .rightParen: return "\")\""
        case .comma: return "\",\""
        case .declare: return "\":=\""
        case .assign: return "\"=\""
        case .dot: return "<.>"
        default: return "token"
        }
    }

    private mutating func parseList() throws -> ([Node], Terminator) {
        var nodes: [Node] = []
        while let kind = next() {
            switch kind {
            case .text(let text):
                nodes.append(.text(text))
            case .open:
                if case .identifier(let word)? = peek {
                    switch word {
                    case "end":
                        index += 1
                        try expect(.close, "end")
                        return (nodes, .end)
                    case "else":
                        index += 1
                        if case .identifier("if")? = peek {
                            index += 1
                            return (nodes, .elseIf(try parsePipeline(context: "if", allowDeclaration: true)))
                        }
                        if case .identifier("with")? = peek {
                            index += 1
                            return (nodes, .elseWith(try parsePipeline(context: "with", allowDeclaration: true)))
                        }
                        try expect(.close, "else")
                        return (nodes, .elseBranch)
                    case "if":
                        index += 1
                        nodes.append(try parseIf())
                        continue
                    case "range":
                        index += 1
                        nodes.append(try parseRange())
                        continue
                    case "with":
                        index += 1
                        nodes.append(try parseWith())
                        continue
                    case "break", "continue":
                        index += 1
                        guard rangeDepth > 0 else { throw fail("{{\(word)}} outside {{range}}") }
                        try expect(.close, word)
                        nodes.append(word == "break" ? .breakLoop : .continueLoop)
                        continue
                    case "define", "template", "block":
                        throw fail("{{\(word)}} is not supported by kiln's templates")
                    default:
                        break
                    }
                }
                nodes.append(.action(try parsePipeline(context: "command", allowDeclaration: true)))
            default:
                throw fail("unexpected \(describe(kind))")
            }
        }
        return (nodes, .eof)
    }

    private mutating func parseIf() throws -> Node {
        var branches: [(GoTemplate.Pipeline, [Node])] = []
        var condition = try parsePipeline(context: "if", allowDeclaration: true)
        while true {
            let (body, terminator) = try parseList()
            branches.append((condition, body))
            switch terminator {
            case .end: return .branch(branches, nil)
            case .eof: throw fail("unexpected EOF in if")
            case .elseIf(let next): condition = next
            case .elseWith: throw fail("unexpected {{else with}} in if")
            case .elseBranch:
                let (elseBody, end) = try parseList()
                guard case .end = end else { throw fail("expected {{end}} after {{else}}") }
                return .branch(branches, elseBody)
            }
        }
    }

    private mutating func parseRange() throws -> Node {
        let pipeline = try parsePipeline(context: "range", allowDeclaration: true)
        rangeDepth += 1
        let (body, terminator) = try parseList()
        rangeDepth -= 1
        switch terminator {
        case .end: return .range(pipeline, body, nil)
        case .elseBranch:
            let (elseBody, end) = try parseList()
            guard case .end = end else { throw fail("expected {{end}} after {{else}}") }
            return .range(pipeline, body, elseBody)
        default: throw fail("unexpected end of range")
        }
    }

    private mutating func parseWith() throws -> Node {
        let pipeline = try parsePipeline(context: "with", allowDeclaration: true)
        let (body, terminator) = try parseList()
        switch terminator {
        case .end: return .with(pipeline, body, nil)
        case .elseBranch:
            let (elseBody, end) = try parseList()
            guard case .end = end else { throw fail("expected {{end}} after {{else}}") }
            return .with(pipeline, body, elseBody)
        case .elseWith(let next):
            // {{with a}}…{{else with b}}…{{end}} is {{with a}}…{{else}}{{with b}}…{{end}}{{end}}.
            let inner = try parseWithContinuation(next)
            return .with(pipeline, body, [inner])
        default: throw fail("unexpected end of with")
        }
    }

    private mutating func parseWithContinuation(_ pipeline: GoTemplate.Pipeline) throws -> Node {
        let (body, terminator) = try parseList()
        switch terminator {
        case .end: return .with(pipeline, body, nil)
        case .elseBranch:
            let (elseBody, end) = try parseList()
            guard case .end = end else { throw fail("expected {{end}} after {{else}}") }
            return .with(pipeline, body, elseBody)
        case .elseWith(let next): return .with(pipeline, body, [try parseWithContinuation(next)])
        default: throw fail("unexpected end of with")
        }
    }

    /// A pipeline up to `}}` (or `)` inside parentheses), with an optional `$x :=` / `$i, $v :=`.
    private mutating func parsePipeline(context: String, allowDeclaration: Bool, inParens: Bool = false) throws -> GoTemplate.Pipeline {
        var pipeline = GoTemplate.Pipeline()
        if allowDeclaration, case .variable(let first)? = peek {
            let save = index
            index += 1
            var names = [first]
            if peek == .comma, index + 1 < tokens.count, case .variable(let second) = tokens[index + 1].kind {
                index += 2
                names.append(second)
            }
            if peek == .declare || peek == .assign {
                pipeline.assigns = peek == .assign
                index += 1
                pipeline.variables = names
            } else {
                index = save
            }
        }
        var command: [Operand] = []
        while true {
            guard let kind = peek else { throw fail("unclosed action") }
            if kind == .close && !inParens || kind == .rightParen && inParens {
                index += 1
                break
            }
            if kind == .pipe {
                index += 1
                guard !command.isEmpty else { throw fail("missing command before \"|\"") }
                pipeline.commands.append(command)
                command = []
                continue
            }
            command.append(try parseOperand())
        }
        if command.isEmpty {
            throw fail(pipeline.commands.isEmpty ? "missing value for \(context)" : "missing command after \"|\"")
        }
        pipeline.commands.append(command)
        return pipeline
    }

    private mutating func parseOperand() throws -> Operand {
        guard let kind = next() else { throw fail("unclosed action") }
        switch kind {
        case .dot: return .dot([])
        case .field(let name): return .dot([name] + fields())
        case .variable(let name): return .variable(name, fields())
        case .string(let s): return .string(s)
        case .number(let text):
            if let n = Int64(text) { return .number(.int(n)) }
            if let d = Double(text) { return .number(.raw(String(d))) }
            index -= 1
            throw fail("bad number syntax: \(GoQuote.quote(text))")
        case .identifier(let name):
            switch name {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "nil": return .null
            default:
                guard GoTemplate.functionNames.contains(name) else {
                    index -= 1
                    throw fail("function \(GoQuote.quote(name)) not defined")
                }
                return .function(name)
            }
        case .leftParen:
            let inner = try parsePipeline(context: "parenthesized pipeline", allowDeclaration: false, inParens: true)
            return .pipeline(inner, fields())
        default:
            index -= 1
            throw fail("unexpected \(describe(kind)) in operand")
        }
    }

    /// Field names directly following an operand (`.A.B` after `$x` or `(…)`).
    private mutating func fields() -> [String] {
        var names: [String] = []
        while case .chain(let name)? = peek {
            names.append(name)
            index += 1
        }
        return names
    }
}

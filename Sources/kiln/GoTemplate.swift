import DockerfileSyntax

/// The part of Go's `text/template` that Docker users write in `--format` (`{{.Id}}`,
/// `{{json .Config}}`, `{{range .RepoTags}}{{.}} {{end}}`, `{{index .Config.Labels "k"}}`,
/// `{{if eq .State.Status "running"}}…{{else}}…{{end}}`, pipes), parsed once and executed over
/// `GoJSON` values (GoTemplate+Execute.swift) with Go's and Docker's functions
/// (GoTemplate+Functions.swift).
///
/// Supported: text; `{{- … -}}` trimming; `{{/* comments */}}`; pipelines (`a | b c`) of
/// functions, fields (`.A.B`), `.`, `$`, `$x.A`, parenthesised pipelines, string (quoted and raw),
/// number, `true`/`false`/`nil` literals; `if`/`else if`/`else`, `range` (with `$v :=` or
/// `$i, $v :=`) / `else`, `with` / `else`, `break`, `continue`, `$x := …` and `$x = …`.
/// Not supported (a parse error says so): `define`, `template`, `block`, method calls with arguments.
struct GoTemplate {
    indirect enum Node {
        case text(String)
        case action(Pipeline)
        /// `if`/`else if` branches, then the `else` body.
        case branch([(Pipeline, [Node])], [Node]?)
        case range(Pipeline, [Node], [Node]?)
        case with(Pipeline, [Node], [Node]?)
        case breakLoop
        case continueLoop
    }

    struct Pipeline {
        /// Variables declared (`:=`) or assigned (`=`) by the pipeline.
        var variables: [String] = []
        var assigns = false
        var commands: [[Operand]] = []
    }

    indirect enum Operand {
        /// `.` followed by fields (`.A.B`: fields ["A", "B"]; `.`: none).
        case dot([String])
        /// `$name` followed by fields (`$` is the data the template started with).
        case variable(String, [String])
        case function(String)
        case string(String)
        case number(GoJSON)
        case bool(Bool)
        case null
        case pipeline(Pipeline, [String])
    }

    struct ParseError: Error, CustomStringConvertible {
        var line: Int
        var message: String
        var description: String { "template: :\(line): \(message)" }
    }

    let nodes: [Node]

    init(_ text: String) throws {
        var lexer = TemplateLexer(text)
        var parser = TemplateParser(tokens: try lexer.tokens())
        nodes = try parser.parseTemplate()
    }
}

/// Splits template text into text runs and the tokens of each action.
struct TemplateLexer {
    enum Kind: Equatable {
        case text(String)
        case open, close
        case identifier(String), field(String), variable(String), dot
        /// A field directly after an operand (`$x.A`, `(…).A`, the `.B` of `.A.B`).
        case chain(String)
        case string(String), number(String)
        case pipe, leftParen, rightParen, declare, assign, comma
    }

    struct Token {
        var kind: Kind
        var line: Int
    }

    let chars: [Character]
    var index = 0
    var line = 1

    init(_ text: String) { chars = Array(text) }

    mutating func tokens() throws -> [Token] {
        var result: [Token] = []
        var text = ""
        while index < chars.count {
            if starts("{{") {
                var trimLeft = false
                var after = index + 2
                if after + 1 < chars.count, chars[after] == "-", chars[after + 1].isWhitespace {
                    trimLeft = true
                    after += 1
                }
                if trimLeft { while let last = text.last, last.isWhitespace { text.removeLast() } }
                if !text.isEmpty { result.append(Token(kind: .text(text), line: line)) }
                text = ""
                index = after
                let trimRight = try lexAction(into: &result)
                if trimRight { while index < chars.count, chars[index].isWhitespace { advance() } }
                continue
            }
            text.append(chars[index])
            advance()
        }
        if !text.isEmpty { result.append(Token(kind: .text(text), line: line)) }
        return result
    }

    private func starts(_ s: String) -> Bool {
        let needle = Array(s)
        guard index + needle.count <= chars.count else { return false }
        return Array(chars[index..<index + needle.count]) == needle
    }

    private mutating func advance() {
        if chars[index] == "\n" { line += 1 }
        index += 1
    }

    private func fail(_ message: String) -> GoTemplate.ParseError { GoTemplate.ParseError(line: line, message: message) }

    /// Lexes from just after `{{` (and its trim marker) through `}}`; whether `-}}` trims after it.
    private mutating func lexAction(into result: inout [Token]) throws -> Bool {
        // A comment is the whole action: {{/* … */}}.
        var probe = index
        while probe < chars.count, chars[probe] == " " { probe += 1 }
        if probe + 1 < chars.count, chars[probe] == "/", chars[probe + 1] == "*" {
            while index < chars.count, !starts("*/") { advance() }
            guard index < chars.count else { throw fail("unclosed comment") }
            index += 2
            while index < chars.count, chars[index] == " " { advance() }
            var trim = false
            if starts("-}}") { trim = true; index += 1 }
            guard starts("}}") else { throw fail("comment ends before closing delimiter") }
            index += 2
            return trim
        }
        result.append(Token(kind: .open, line: line))
        while true {
            guard index < chars.count else { throw fail("unclosed action") }
            let c = chars[index]
            if c == " " || c == "\t" || c == "\r" || c == "\n" {
                if starts(" -}}") || starts("\t-}}") || starts("\n-}}") || starts("\r-}}") {
                    advance(); index += 3
                    result.append(Token(kind: .close, line: line))
                    return true
                }
                advance()
                continue
            }
            if starts("}}") {
                index += 2
                result.append(Token(kind: .close, line: line))
                return false
            }
            let start = line
            switch c {
            case "|": index += 1; result.append(Token(kind: .pipe, line: start))
            case "(": index += 1; result.append(Token(kind: .leftParen, line: start))
            case ")": index += 1; result.append(Token(kind: .rightParen, line: start))
            case ",": index += 1; result.append(Token(kind: .comma, line: start))
            case "=": index += 1; result.append(Token(kind: .assign, line: start))
            case ":":
                guard index + 1 < chars.count, chars[index + 1] == "=" else { throw fail("expected :=") }
                index += 2
                result.append(Token(kind: .declare, line: start))
            case "\"": result.append(Token(kind: .string(try quoted()), line: start))
            case "`":
                index += 1
                var value = ""
                while index < chars.count, chars[index] != "`" { value.append(chars[index]); advance() }
                guard index < chars.count else { throw fail("unterminated raw quoted string") }
                index += 1
                result.append(Token(kind: .string(value), line: start))
            case "$":
                index += 1
                result.append(Token(kind: .variable("$" + word()), line: start))
            case ".":
                let chained = index > 0 && (chars[index - 1].isLetter || chars[index - 1].isNumber || "_)$".contains(chars[index - 1]))
                index += 1
                let name = word()
                result.append(Token(kind: name.isEmpty ? .dot : chained ? .chain(name) : .field(name), line: start))
            default:
                if c.isNumber || ((c == "-" || c == "+") && index + 1 < chars.count && chars[index + 1].isNumber) {
                    var value = String(c)
                    index += 1
                    while index < chars.count, chars[index].isNumber || chars[index] == "." || chars[index].isLetter { value.append(chars[index]); index += 1 }
                    result.append(Token(kind: .number(value), line: start))
                } else if c.isLetter || c == "_" {
                    result.append(Token(kind: .identifier(word()), line: start))
                } else {
                    throw fail("unexpected \(GoQuote.quote(String(c))) in command")
                }
            }
        }
    }

    private mutating func word() -> String {
        var value = ""
        while index < chars.count, chars[index].isLetter || chars[index].isNumber || chars[index] == "_" {
            value.append(chars[index])
            index += 1
        }
        return value
    }

    /// A Go interpreted string literal: `\n`, `\t`, `\\`, `\"`, `\r`, `\x41`, `\u00e9`.
    private mutating func quoted() throws -> String {
        index += 1
        var value = ""
        while index < chars.count, chars[index] != "\"" {
            let c = chars[index]
            guard c != "\n" else { throw fail("unterminated quoted string") }
            index += 1
            guard c == "\\" else { value.append(c); continue }
            guard index < chars.count else { break }
            let e = chars[index]
            index += 1
            switch e {
            case "n": value.append("\n")
            case "t": value.append("\t")
            case "r": value.append("\r")
            case "\\": value.append("\\")
            case "\"": value.append("\"")
            case "'": value.append("'")
            case "0": value.append("\0")
            case "x", "u", "U":
                let count = e == "x" ? 2 : e == "u" ? 4 : 8
                guard index + count <= chars.count, let code = UInt32(String(chars[index..<index + count]), radix: 16),
                      let scalar = Unicode.Scalar(code) else { throw fail("invalid syntax in string escape") }
                value.unicodeScalars.append(scalar)
                index += count
            default: throw fail("invalid syntax: unknown escape \\\(e)")
            }
        }
        guard index < chars.count else { throw fail("unterminated quoted string") }
        index += 1
        return value
    }
}

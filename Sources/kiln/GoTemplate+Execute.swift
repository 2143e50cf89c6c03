import DockerfileSyntax
import Foundation

/// Executing a `GoTemplate` over a `GoJSON` value, with Go's rules: a value prints as `fmt`'s `%v`
/// does (`[a b]` for a list, `map[k:v]` for a map, `{a b}` for a struct, `<nil>` for nil, `<no value>`
/// for a missing map key); `if`/`with` test Go's truth (false, 0, nil, empty string, list or map are
/// false); `range` walks a list in order and a map in key order.
extension GoTemplate {
    struct ExecError: Error, CustomStringConvertible {
        var message: String
        var description: String { "template: \(message)" }
    }

    /// A missing map key: prints `<no value>`, is false, and `json` writes it as `null`.
    static let noValue = GoJSON.raw("<no value>")

    func execute(_ data: GoJSON) throws -> String {
        var state = ExecState(variables: [("$", data)])
        try state.walk(nodes, dot: data)
        return state.output
    }

    static func isTrue(_ value: GoJSON) -> Bool {
        switch value {
        case .string(let s): return !s.isEmpty
        case .int(let n): return n != 0
        case .bool(let b): return b
        case .null, .nilSlice, .nilMap: return false
        case .raw(let text): return text != "<no value>" && Double(text) != 0
        case .array(let items): return !items.isEmpty
        case .object: return true
        case .map(let members): return !members.isEmpty
        }
    }

    /// `fmt.Sprint(value)`.
    static func text(_ value: GoJSON) -> String {
        switch value {
        case .string(let s): return s
        case .int(let n): return String(n)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "<nil>"
        case .nilSlice: return "[]"
        case .nilMap: return "map[]"
        case .raw(let text): return text
        case .array(let items): return "[" + items.map(text).joined(separator: " ") + "]"
        case .object(let members): return "{" + members.map { text($0.1) }.joined(separator: " ") + "}"
        case .map(let members): return "map[" + members.map { $0.0 + ":" + text($0.1) }.joined(separator: " ") + "]"
        }
    }
}

private enum LoopControl: Error {
    case breakLoop, continueLoop
}

private struct ExecState {
    var variables: [(String, GoJSON)]
    var output = ""

    mutating func walk(_ nodes: [GoTemplate.Node], dot: GoJSON) throws {
        for node in nodes {
            switch node {
            case .text(let text):
                output += text
            case .action(let pipeline):
                let value = try evaluate(pipeline, dot: dot)
                if pipeline.variables.isEmpty { output += GoTemplate.text(value) }
            case .branch(let branches, let elseBody):
                let mark = variables.count
                defer { variables.removeSubrange(mark...) }
                var taken = false
                for (condition, body) in branches where try GoTemplate.isTrue(evaluate(condition, dot: dot)) {
                    try walk(body, dot: dot)
                    taken = true
                    break
                }
                if !taken, let elseBody { try walk(elseBody, dot: dot) }
            case .with(let pipeline, let body, let elseBody):
                let mark = variables.count
                defer { variables.removeSubrange(mark...) }
                let value = try evaluate(pipeline, dot: dot)
                if GoTemplate.isTrue(value) {
                    try walk(body, dot: value)
                } else if let elseBody {
                    try walk(elseBody, dot: dot)
                }
            case .range(let pipeline, let body, let elseBody):
                try range(pipeline, body, elseBody, dot: dot)
            case .breakLoop:
                throw LoopControl.breakLoop
            case .continueLoop:
                throw LoopControl.continueLoop
            }
        }
    }

    private mutating func range(_ pipeline: GoTemplate.Pipeline, _ body: [GoTemplate.Node], _ elseBody: [GoTemplate.Node]?, dot: GoJSON) throws {
        let mark = variables.count
        defer { variables.removeSubrange(mark...) }
        var declared = pipeline
        declared.variables = []
        let value = try evaluate(declared, dot: dot)
        var items: [(GoJSON, GoJSON)] = []
        switch value {
        case .array(let list): items = list.enumerated().map { (.int(Int64($0.offset)), $0.element) }
        case .map(let members): items = members.map { (.string($0.0), $0.1) }
        case .int(let n): items = (0..<max(0, n)).map { (.int($0), .int($0)) }
        case .null, .nilSlice, .nilMap: items = []
        default: throw GoTemplate.ExecError(message: "range can't iterate over \(GoTemplate.text(value))")
        }
        if items.isEmpty {
            if let elseBody { try walk(elseBody, dot: dot) }
            return
        }
        for (key, element) in items {
            let inner = variables.count
            if pipeline.variables.count == 1 { variables.append((pipeline.variables[0], element)) }
            if pipeline.variables.count == 2 {
                variables.append((pipeline.variables[0], key))
                variables.append((pipeline.variables[1], element))
            }
            defer { variables.removeSubrange(inner...) }
            do {
                try walk(body, dot: element)
            } catch LoopControl.breakLoop {
                break
            } catch LoopControl.continueLoop {
                continue
            }
        }
    }

    mutating func evaluate(_ pipeline: GoTemplate.Pipeline, dot: GoJSON) throws -> GoJSON {
        var value: GoJSON?
        for command in pipeline.commands {
            value = try run(command, dot: dot, piped: value)
        }
        let result = value ?? .null
        if pipeline.assigns {
            for name in pipeline.variables {
                guard let i = variables.lastIndex(where: { $0.0 == name }) else {
                    throw GoTemplate.ExecError(message: "undefined variable: \(name)")
                }
                variables[i].1 = result
            }
        } else if let name = pipeline.variables.first {
            variables.append((name, result))
        }
        return result
    }

    private mutating func run(_ command: [GoTemplate.Operand], dot: GoJSON, piped: GoJSON?) throws -> GoJSON {
        if case .function(let name) = command[0] {
            var arguments: [GoJSON] = []
            for operand in command.dropFirst() { arguments.append(try value(operand, dot: dot)) }
            if let piped { arguments.append(piped) }
            return try GoTemplate.call(name, arguments)
        }
        guard command.count == 1, piped == nil else {
            throw GoTemplate.ExecError(message: "can't give argument to non-function \(describe(command[0]))")
        }
        return try value(command[0], dot: dot)
    }

    private mutating func value(_ operand: GoTemplate.Operand, dot: GoJSON) throws -> GoJSON {
        switch operand {
        case .dot(let fields): return try Self.field(dot, fields, operand: operand)
        case .variable(let name, let fields):
            guard let bound = variables.last(where: { $0.0 == name }) else {
                throw GoTemplate.ExecError(message: "undefined variable: \(name)")
            }
            return try Self.field(bound.1, fields, operand: operand)
        case .function(let name): return try GoTemplate.call(name, [])
        case .string(let s): return .string(s)
        case .number(let n): return n
        case .bool(let b): return .bool(b)
        case .null: return .null
        case .pipeline(let inner, let fields):
            return try Self.field(try evaluate(inner, dot: dot), fields, operand: operand)
        }
    }

    private func describe(_ operand: GoTemplate.Operand) -> String {
        switch operand {
        case .dot(let fields): return fields.isEmpty ? "." : fields.map { "." + $0 }.joined()
        case .variable(let name, let fields): return name + fields.map { "." + $0 }.joined()
        case .string(let s): return GoQuote.quote(s)
        case .number(let n): return GoTemplate.text(n)
        case .bool(let b): return b ? "true" : "false"
        default: return "value"
        }
    }

    /// `.A.B` of a value: a struct's member (an error when absent, as Go's "can't evaluate field"),
    /// a map's entry (`<no value>` when absent).
    private static func field(_ start: GoJSON, _ names: [String], operand: GoTemplate.Operand) throws -> GoJSON {
        var value = start
        for name in names {
            switch value {
            case .object(let members):
                guard let member = members.first(where: { $0.0 == name }) else {
                    throw GoTemplate.ExecError(message: "executing at <.\(name)>: can't evaluate field \(name)")
                }
                value = member.1
            case .map(let members):
                value = members.first(where: { $0.0 == name })?.1 ?? GoTemplate.noValue
            case .nilMap:
                value = GoTemplate.noValue
            case .null:
                throw GoTemplate.ExecError(message: "executing at <.\(name)>: nil pointer evaluating .\(name)")
            default:
                throw GoTemplate.ExecError(message: "executing at <.\(name)>: can't evaluate field \(name) in \(GoTemplate.text(value))")
            }
        }
        return value
    }
}

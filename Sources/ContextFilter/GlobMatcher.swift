/// The matching engine for ``Pattern/MatchType/regexp`` patterns: a compiled regexp program run
/// by a Thompson/Pike-style NFA simulation.
///
/// Every input position advances a *set* of states at once, so matching costs at most
/// O(path length × program size) whatever the pattern: `**/**/**/**/a` against a long path
/// cannot backtrack exponentially, and nothing recurses on input length.
struct RegexProgram: Sendable {
    enum Instruction: Sendable {
        case scalar(Unicode.Scalar)
        case anyNotNewline
        case charClass(CharClass)
        case beginText
        case endText
        case split(Int, Int)
        case jump(Int)
        case match
    }

    struct CompileError: Error {
        var reason: String
    }

    private(set) var instructions: [Instruction] = []

    /// Parses and compiles a Go-syntax regexp (see ``RegexParser`` for the subset).
    static func compile(_ source: String) -> Result<RegexProgram, CompileError> {
        switch RegexParser.parse(source) {
        case .failure(let error):
            return .failure(CompileError(reason: error.reason))
        case .success(let node):
            var program = RegexProgram()
            program.emit(node)
            program.instructions.append(.match)
            return .success(program)
        }
    }

    /// Go `regexp.MatchString`: whether the regexp matches anywhere in `input`. (The patterns'
    /// regexps are anchored with `^…$`, so this means the whole input.)
    func matches(_ input: [Unicode.Scalar]) -> Bool {
        let count = instructions.count
        var current: [Int] = []
        var next: [Int] = []
        var mark = [Int](repeating: -1, count: count)  // generation that last added each pc
        var generation = 0
        current.reserveCapacity(count)
        next.reserveCapacity(count)

        for position in 0...input.count {
            // Unanchored search: a new thread may start at every position.
            if addThread(0, position: position, inputCount: input.count, to: &current,
                         mark: &mark, generation: generation) {
                return true
            }
            if position == input.count { break }
            let scalar = input[position]
            generation += 1
            next.removeAll(keepingCapacity: true)
            for pc in current {
                let advances: Bool
                switch instructions[pc] {
                case .scalar(let expected): advances = scalar == expected
                case .anyNotNewline: advances = scalar != "\n"
                case .charClass(let set): advances = set.contains(scalar)
                default: advances = false
                }
                if advances,
                   addThread(pc + 1, position: position + 1, inputCount: input.count, to: &next,
                             mark: &mark, generation: generation) {
                    return true
                }
            }
            swap(&current, &next)
        }
        return false
    }

    /// Adds `pc` and everything reachable from it without consuming input (following splits,
    /// jumps and satisfied assertions) to `list`. Returns true when `match` is reachable.
    /// Uses an explicit stack; `mark` keeps each pc at most once per generation.
    private func addThread(_ start: Int, position: Int, inputCount: Int, to list: inout [Int],
                           mark: inout [Int], generation: Int) -> Bool {
        var stack = [start]
        while let pc = stack.popLast() {
            if mark[pc] == generation { continue }
            mark[pc] = generation
            switch instructions[pc] {
            case .match:
                return true
            case .jump(let target):
                stack.append(target)
            case .split(let first, let second):
                stack.append(second)
                stack.append(first)
            case .beginText:
                if position == 0 { stack.append(pc + 1) }
            case .endText:
                if position == inputCount { stack.append(pc + 1) }
            case .scalar, .anyNotNewline, .charClass:
                list.append(pc)
            }
        }
        return false
    }

    // MARK: Code generation

    private mutating func emit(_ node: RegexParser.Node) {
        switch node {
        case .empty:
            break
        case .scalar(let v):
            instructions.append(.scalar(v))
        case .anyNotNewline:
            instructions.append(.anyNotNewline)
        case .charClass(let set):
            instructions.append(.charClass(set))
        case .beginText:
            instructions.append(.beginText)
        case .endText:
            instructions.append(.endText)
        case .concat(let items):
            for item in items { emit(item) }
        case .alternate(let branches):
            // split L1, next; L1: branch; jump end; next: split …
            var jumpsToEnd: [Int] = []
            for (index, branch) in branches.enumerated() {
                if index < branches.count - 1 {
                    let split = placeholder()
                    emit(branch)
                    jumpsToEnd.append(placeholder())
                    instructions[split] = .split(split + 1, instructions.count)
                } else {
                    emit(branch)
                }
            }
            for jump in jumpsToEnd { instructions[jump] = .jump(instructions.count) }
        case .star(let inner):
            // L: split body, end; body; jump L
            let split = placeholder()
            emit(inner)
            instructions.append(.jump(split))
            instructions[split] = .split(split + 1, instructions.count)
        case .plus(let inner):
            // L: body; split L, end
            let start = instructions.count
            emit(inner)
            instructions.append(.split(start, instructions.count + 1))
        case .quest(let inner):
            let split = placeholder()
            emit(inner)
            instructions[split] = .split(split + 1, instructions.count)
        }
    }

    private mutating func placeholder() -> Int {
        instructions.append(.jump(-1))
        return instructions.count - 1
    }
}

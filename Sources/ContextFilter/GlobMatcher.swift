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
    ///
    /// With `prefixEnds` (ascending offsets into `input`), it also answers true when the regexp
    /// matches one of the prefixes `input[..<end]`, as if each were matched on its own, in the
    /// same single pass: threads only see the input up to their position, so the prefixes share
    /// the run, and at each `end` the `$`/`\z` assertions reached there are retried as "at end".
    func matches(_ input: [Unicode.Scalar], prefixEnds: [Int] = []) -> Bool {
        var state = State(count: instructions.count)
        var current: [Int] = []
        var next: [Int] = []
        var nextEnd = 0
        for position in 0...input.count {
            state.position = position
            // Unanchored search: a new thread may start at every position.
            if addThread(0, inputCount: input.count, to: &current, state: &state) { return true }
            while nextEnd < prefixEnds.count && prefixEnds[nextEnd] < position { nextEnd += 1 }
            if nextEnd < prefixEnds.count && prefixEnds[nextEnd] == position && reachesMatchAtEnd(&state) {
                return true
            }
            if position == input.count { break }
            let scalar = input[position]
            state.generation += 1
            state.position = position + 1
            state.pendingEnds.removeAll(keepingCapacity: true)
            next.removeAll(keepingCapacity: true)
            for pc in current {
                let advances: Bool
                switch instructions[pc] {
                case .scalar(let expected): advances = scalar == expected
                case .anyNotNewline: advances = scalar != "\n"
                case .charClass(let set): advances = set.contains(scalar)
                default: advances = false
                }
                if advances && addThread(pc + 1, inputCount: input.count, to: &next, state: &state) {
                    return true
                }
            }
            swap(&current, &next)
        }
        return false
    }

    /// Scratch space for one run.
    private struct State {
        var stack: [Int] = []
        /// `endText` instructions reached at `position` that failed because input went on.
        var pendingEnds: [Int] = []
        /// Generation that last added each pc (so each pc is added once per position).
        var mark: [Int]
        var generation = 0
        var position = 0
        var endMark: [Int]
        var endGeneration = 0

        init(count: Int) {
            mark = [Int](repeating: -1, count: count)
            endMark = [Int](repeating: -1, count: count)
        }
    }

    /// Adds `start` and everything reachable from it without consuming input (following splits,
    /// jumps and satisfied assertions) to `list`. Returns true when `match` is reachable.
    private func addThread(_ start: Int, inputCount: Int, to list: inout [Int], state: inout State) -> Bool {
        state.stack.removeAll(keepingCapacity: true)
        state.stack.append(start)
        while let pc = state.stack.popLast() {
            if state.mark[pc] == state.generation { continue }
            state.mark[pc] = state.generation
            switch instructions[pc] {
            case .match:
                return true
            case .jump(let target):
                state.stack.append(target)
            case .split(let first, let second):
                state.stack.append(second)
                state.stack.append(first)
            case .beginText:
                if state.position == 0 { state.stack.append(pc + 1) }
            case .endText:
                if state.position == inputCount {
                    state.stack.append(pc + 1)
                } else {
                    state.pendingEnds.append(pc)
                }
            case .scalar, .anyNotNewline, .charClass:
                list.append(pc)
            }
        }
        return false
    }

    /// Whether `match` is reachable from the pending `endText` assertions if the input ended at the
    /// current position (nothing is consumed, so consuming instructions are dead ends).
    private func reachesMatchAtEnd(_ state: inout State) -> Bool {
        state.endGeneration += 1
        var stack = state.pendingEnds.map { $0 + 1 }
        while let pc = stack.popLast() {
            if state.endMark[pc] == state.endGeneration { continue }
            state.endMark[pc] = state.endGeneration
            switch instructions[pc] {
            case .match: return true
            case .jump(let target): stack.append(target)
            case .split(let first, let second): stack += [first, second]
            case .beginText: if state.position == 0 { stack.append(pc + 1) }
            case .endText: stack.append(pc + 1)
            case .scalar, .anyNotNewline, .charClass: break
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

/// A symbolic `COPY/ADD --chmod` (Dockerfile 1.14+): `chmod(1)` clauses such as `go-w`, `u+x`,
/// `u=rw,g=r,o=r`, `a+X`, `g=u`, applied to each copied entry's own permission bits, as
/// BuildKit's copy does (BSD `setmode` semantics, umask 0: a clause without `u`/`g`/`o`/`a`
/// changes every class). `X` adds execute permission only to directories and to entries that
/// already have an execute bit; `s` touches the set-id bits of `u`/`g`; `t` the sticky bit.
struct SymbolicMode: Sendable, Equatable {
    private enum Source: Sendable, Equatable {
        /// Permission letters (`rwxst` as bits) and whether `X` was given.
        case bits(UInt32, conditionalExecute: Bool)
        /// Copy the rwx bits of a class (shift 6 = user, 3 = group, 0 = other).
        case classBits(shift: UInt32)
    }

    private struct Action: Sendable, Equatable {
        var op: Character
        /// The classes the clause names (bits of 0o4700/0o2070/0o0007), 0 when none was named.
        var who: UInt32
        var source: Source
    }

    private var actions: [Action] = []
    let text: String

    /// Parses `clause[,clause...]`, each `[ugoa]*` followed by one or more `[-+=]` actions with
    /// permission letters `[rwxXst]*` or one class `[ugo]` to copy from.
    init(parsing text: String) throws {
        self.text = text
        let invalid = CopyError(.unsupported, "invalid chmod parameter: '\(text)'. it should be octal string and between 0 and 07777")
        guard !text.isEmpty else { throw invalid }
        for clause in text.split(separator: ",", omittingEmptySubsequences: false) {
            var chars = Array(clause)[...]
            var who: UInt32 = 0
            while let c = chars.first, "ugoa".contains(c) {
                switch c {
                case "u": who |= 0o4700
                case "g": who |= 0o2070
                case "o": who |= 0o0007
                default: who |= 0o6777
                }
                chars = chars.dropFirst()
            }
            guard !chars.isEmpty else { throw invalid }
            while let op = chars.first {
                guard "+-=".contains(op) else { throw invalid }
                chars = chars.dropFirst()
                if let c = chars.first, "ugo".contains(c) {
                    let shift: UInt32 = c == "u" ? 6 : c == "g" ? 3 : 0
                    actions.append(Action(op: op, who: who, source: .classBits(shift: shift)))
                    chars = chars.dropFirst()
                    continue
                }
                var bits: UInt32 = 0
                var conditional = false
                var sticky = false
                while let c = chars.first, "rwxXst".contains(c) {
                    switch c {
                    case "r": bits |= 0o444
                    case "w": bits |= 0o222
                    case "x": bits |= 0o111
                    case "X": if op == "-" { bits |= 0o111 } else { conditional = true }
                    // Set-id and sticky bits mean nothing for "other" alone.
                    case "s": if who == 0 || who & ~0o0007 != 0 { bits |= 0o6000 }
                    default: if who == 0 || who & ~0o0007 != 0 { bits |= 0o1000; sticky = true }
                    }
                    chars = chars.dropFirst()
                }
                actions.append(Action(op: op, who: who == 0 || !sticky ? who : who | 0o1000,
                                      source: .bits(bits, conditionalExecute: conditional)))
            }
        }
    }

    /// The permission bits (`0o7777` part of `mode`) after every clause, in order.
    func apply(to mode: UInt32, isDirectory: Bool) -> UInt32 {
        let original = mode & 0o7777
        var result = original
        for action in actions {
            switch action.source {
            case .bits(var bits, let conditional):
                if conditional, isDirectory || original & 0o111 != 0 { bits |= 0o111 }
                let mask: UInt32 = action.who == 0 ? 0o7777 : action.who
                switch action.op {
                case "+": result |= bits & mask
                case "-": result &= ~(bits & mask)
                default:
                    result &= ~(action.who == 0 ? 0o6777 : action.who)
                    result |= bits & mask
                }
            case .classBits(let shift):
                let value = (result >> shift) & 0o7
                let classes: [UInt32] = [6, 3, 0].filter { target in
                    action.who == 0 || action.who & (0o7 << target) != 0
                }
                for target in classes {
                    switch action.op {
                    case "+": result |= value << target
                    case "-": result &= ~(value << target)
                    default: result = (result & ~(0o7 << target)) | (value << target)
                    }
                }
            }
        }
        return result
    }
}

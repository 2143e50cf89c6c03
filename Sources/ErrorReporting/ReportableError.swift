/// The shape every kiln module's one error type shares, and the one way its text is made: the
/// message (what went wrong, what to do next), then a hint when the type keeps it apart, then the
/// underlying error's text (the cause), after a colon or in parentheses as the type chooses.
/// Each module keeps its own error type (and its codes); only the formatting lives here.
public protocol ReportableError: Error, CustomStringConvertible {
    /// What went wrong and, where it can, what to do next.
    var message: String { get }
    /// What to do next, when the type keeps it apart from the message.
    var hint: String? { get }
    /// The underlying error's text (an `errno` text, another module's error), if any.
    var cause: String? { get }
    /// How the cause follows the message.
    static var causeStyle: CauseStyle { get }
}

/// How an error's cause follows its message: `message: cause` or `message (cause)`.
public enum CauseStyle: Sendable {
    case afterColon
    case inParentheses
}

extension ReportableError {
    public var hint: String? { nil }
    public var cause: String? { nil }
    public static var causeStyle: CauseStyle { .afterColon }

    public var description: String {
        ErrorText.render(message: message, hint: hint, cause: cause, style: Self.causeStyle)
    }
}

/// The text of an error's parts, for types that render some of their own fields too.
public enum ErrorText {
    public static func render(message: String, hint: String? = nil, cause: String?, style: CauseStyle) -> String {
        var text = message
        if let hint, !hint.isEmpty { text += ": " + hint }
        if let cause {
            switch style {
            case .afterColon: text += ": " + cause
            case .inParentheses: text += " (" + cause + ")"
            }
        }
        return text
    }
}

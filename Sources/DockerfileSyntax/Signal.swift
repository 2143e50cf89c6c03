/// Signal names and numbers as `STOPSIGNAL` accepts them (moby `signal.ParseSignal`, Linux).
public enum Signal {
    /// Linux signal numbers by name, without the `SIG` prefix.
    public static let numbers: [String: Int] = {
        var map: [String: Int] = [
            "ABRT": 6, "ALRM": 14, "BUS": 7, "CHLD": 17, "CLD": 17, "CONT": 18, "FPE": 8, "HUP": 1,
            "ILL": 4, "INT": 2, "IO": 29, "IOT": 6, "KILL": 9, "PIPE": 13, "POLL": 29, "PROF": 27,
            "PWR": 30, "QUIT": 3, "SEGV": 11, "STKFLT": 16, "STOP": 19, "SYS": 31, "TERM": 15,
            "TRAP": 5, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "USR1": 10, "USR2": 12,
            "VTALRM": 26, "WINCH": 28, "XCPU": 24, "XFSZ": 25, "RTMIN": 34, "RTMAX": 64,
        ]
        for offset in 1...15 {
            map["RTMIN+\(offset)"] = 34 + offset
            map["RTMAX-\(offset)"] = 64 - offset
        }
        return map
    }()

    /// A non-zero decimal number, or a name (case-insensitive, optional `SIG` prefix):
    /// `9`, `SIGKILL`, `kill`, `SIGRTMIN+3`. Otherwise `Invalid signal: <text>`.
    public static func parse(_ text: String) throws(DockerfileError) -> Int {
        if case .success(let number) = GoSyntax.parseInt(text, bits: 64) {
            guard number != 0 else { throw DockerfileError("Invalid signal: \(text)") }
            return Int(number)
        }
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        guard let number = numbers[name] else { throw DockerfileError("Invalid signal: \(text)") }
        return number
    }
}

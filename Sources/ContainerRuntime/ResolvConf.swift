#if canImport(Glibc)
import Glibc
#endif

/// Rewriting the host's resolv.conf for a container that does not share the host's network.
enum ResolvConf {
    /// Docker's fallback nameservers when none usable is left.
    static let defaultNameservers = ["nameserver 8.8.8.8", "nameserver 8.8.4.4",
                                     "nameserver 2001:4860:4860::8888", "nameserver 2001:4860:4860::8844"]

    /// `text` without nameservers on loopback addresses (unreachable from another network namespace);
    /// Docker's defaults are appended when no nameserver remains.
    static func withoutLoopback(_ text: String) -> String {
        var lines: [String] = []
        var nameservers = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.first == "nameserver", fields.count > 1 {
                let address = fields[1]
                if address.hasPrefix("127.") || address == "::1" { continue }
                nameservers += 1
            }
            lines.append(String(line))
        }
        while lines.last == "" { lines.removeLast() }
        if nameservers == 0 { lines += defaultNameservers }
        return lines.joined(separator: "\n") + "\n"
    }
}

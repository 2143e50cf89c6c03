import ArgumentParser
import Containers
import Foundation

/// Docker's `--add-host HOST:IP` (also `HOST=IP`) for `kiln run` and the RUN steps of `kiln build`:
/// checked and normalised to `HOST:IP` (Docker's `ExtraHosts`), and written to /etc/hosts as
/// `IP\tHOST` lines. `host-gateway` as the IP names the host as the container
/// reaches it: with the host's network (RUN steps, `--network host`) the host itself, 127.0.0.1;
/// with `private` (pasta) the namespace's default gateway, which pasta maps to the host.
enum AddHosts {
    static func parse(_ flags: [String], privateNetwork: Bool, status: Int32) throws -> [String] {
        try flags.map { flag in
            let separator = flag.firstIndex(of: "=") ?? flag.firstIndex(of: ":")
            guard let separator else { throw invalid(flag, status) }
            let host = String(flag[..<separator])
            var ip = String(flag[flag.index(after: separator)...])
            if ip.hasPrefix("["), ip.hasSuffix("]") { ip = String(ip.dropFirst().dropLast()) }
            guard !host.isEmpty, host.range(of: #"^[A-Za-z0-9_.-]+$"#, options: .regularExpression) != nil else {
                throw invalid(flag, status)
            }
            if ip == "host-gateway" {
                guard let gateway = privateNetwork ? defaultGateway() : "127.0.0.1" else {
                    printError("kiln: error: --add-host \(flag): the host has no default IPv4 route to use as host-gateway")
                    throw ExitCode(status)
                }
                ip = gateway
            }
            var v4 = in_addr(), v6 = in6_addr()
            guard inet_pton(AF_INET, ip, &v4) == 1 || inet_pton(AF_INET6, ip, &v6) == 1 else { throw invalid(flag, status) }
            return host + ":" + ip
        }
    }

    /// /etc/hosts lines of `HOST:IP` entries.
    static func hostsLines(_ entries: [String]) -> [String] { ContainerHosts.lines(entries) }

    private static func invalid(_ flag: String, _ status: Int32) -> ExitCode {
        printError("kiln: error: invalid argument \"\(flag)\" for \"--add-host\" flag: invalid IP address in add-host (use HOST:IP or HOST:host-gateway)")
        return ExitCode(status)
    }

    /// The gateway of the host's default IPv4 route (/proc/net/route), which pasta gives the namespace too.
    static func defaultGateway() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/net/route", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count > 2, fields[1] == "00000000", let raw = UInt32(fields[2], radix: 16), raw != 0 else { continue }
            // The file holds the address in host byte order of a little-endian machine.
            let bytes = [raw & 0xff, (raw >> 8) & 0xff, (raw >> 16) & 0xff, raw >> 24]
            return bytes.map(String.init).joined(separator: ".")
        }
        return nil
    }
}

/// The pasta command line kiln runs for a container (pasta from Debian's passt 0.0~git20230309 and later).
struct PastaCommand: Equatable {
    /// The address the container sends DNS queries to; pasta forwards them to the host's first resolver
    /// (so a resolver on the host's loopback, e.g. systemd-resolved's 127.0.0.53, works too). The same
    /// link-local address podman uses with pasta.
    static let dnsForwardAddress = "169.254.1.1"
    /// The interface name the container sees, as under Docker.
    static let interfaceName = "eth0"

    var networkNamespaceFile: String
    var ports: [PortMapping]
    var pidFile: String
    var logFile: String
    /// Whether to forward DNS queries sent to `dnsForwardAddress` (only when the host has a resolver).
    var forwardDNS: Bool
    /// Upstream resolvers instead of the host's /etc/resolv.conf (pasta's -D); tests use a fake one on 127.0.0.1.
    var dnsServers: [String] = []
    /// IPv4 only (pasta's -4): what a build's RUN steps get, as on Docker's default bridge, which has no IPv6
    /// unless the daemon is told otherwise; pasta also starts ~20 ms sooner without configuring IPv6.
    var ipv4Only = false

    var arguments: [String] {
        var arguments = [
            // As root pasta would switch to "nobody" and lose the capabilities it needs to join a namespace owned
            // by the host's user namespace and to bind host ports below 1024. It still drops every other
            // capability and sandboxes itself (own mount namespace, seccomp) after setting up.
            "--runas", "0",
            // Join only this network namespace (not a user namespace) and bring up loopback, the tap interface
            // with the host's address, and a default route through pasta.
            "--netns", networkNamespaceFile, "--netns-only", "--config-net",
            "--ns-ifname", Self.interfaceName,
            "--pid", pidFile, "--log-file", logFile,
            // Nothing from the container's loopback to the host's (pasta's default "auto" would forward every
            // port bound in the namespace to the host's loopback, and the other way round).
            "--tcp-ns", "none", "--udp-ns", "none",
            // The gateway address is the real gateway, never a door to the host's loopback (pasta maps it to
            // 127.0.0.1 of the host by default: every service bound to the host's loopback would be open).
            "--no-map-gw",
        ]
        // Only the published ports. An explicit -u also stops pasta from forwarding each published TCP port
        // as UDP too (its default without -u).
        let tcp = ports.filter { $0.proto == "tcp" }
        let udp = ports.filter { $0.proto == "udp" }
        arguments += tcp.isEmpty ? ["--tcp-ports", "none"] : tcp.flatMap { ["--tcp-ports", Self.spec($0)] }
        arguments += udp.isEmpty ? ["--udp-ports", "none"] : udp.flatMap { ["--udp-ports", Self.spec($0)] }
        if ipv4Only { arguments.append("--ipv4-only") }
        for server in dnsServers { arguments += ["--dns", server] }
        if forwardDNS { arguments += ["--dns-forward", Self.dnsForwardAddress] }
        return arguments
    }

    /// pasta's port spec: "ADDRESS/HOSTPORT:CONTAINERPORT" (the host side binds only ADDRESS).
    static func spec(_ mapping: PortMapping) -> String {
        "\(mapping.hostIP)/\(mapping.hostPort):\(mapping.containerPort)"
    }

    /// Whether /etc/resolv.conf-style text names at least one nameserver.
    static func hasNameserver(_ resolvConf: String) -> Bool {
        resolvConf.split(separator: "\n").contains { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            return fields.count > 1 && fields[0] == "nameserver"
        }
    }
}

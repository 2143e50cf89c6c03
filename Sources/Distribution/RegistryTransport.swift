import AsyncHTTPClient
import Foundation
import NIOSSL

/// Where and how to reach a registry host: the scheme (plain HTTP only for loopback and
/// registries marked insecure) and the TLS trust (system CAs plus any
/// `<certs.d>/HOST[:PORT]/*.crt` files found under ``certsDirectories``).
public struct RegistryTransport: Sendable {
    /// Hosts (`host[:port]`) to reach over plain HTTP even though they are not loopback.
    public var insecureHosts: Set<String>
    /// Roots holding per-registry CA directories, searched in order.
    public var certsDirectories: [String]

    public init(insecureHosts: Set<String> = [], certsDirectories: [String] = ["/etc/docker/certs.d", "/etc/containers/certs.d"]) {
        self.insecureHosts = insecureHosts
        self.certsDirectories = certsDirectories
    }

    /// `http` for `localhost`, `127.0.0.1`, `::1` (any port) and insecure hosts; else `https`.
    /// A host with a CA file in a certs directory is always reached over `https`: whoever installed
    /// a CA for a loopback registry wants its TLS checked.
    public func scheme(forHost host: String) -> String {
        if !caFiles(forHost: host).isEmpty { return "https" }
        if insecureHosts.contains(host) { return "http" }
        return Self.isLoopback(host) ? "http" : "https"
    }

    /// Whether `host[:port]` names this machine: `localhost`, `127.0.0.1`, `::1` / `[::1]`.
    public static func isLoopback(_ host: String) -> Bool {
        let name = hostName(host)
        return name == "localhost" || name == "127.0.0.1" || name == "::1"
    }

    /// `host[:port]` without the port and brackets.
    static func hostName(_ host: String) -> String {
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            return String(host[host.index(after: host.startIndex)..<close])
        }
        if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
            return String(host[..<colon])
        }
        return host
    }

    /// The base URL for the registry API on `host`: `https://ghcr.io/v2/`.
    public func baseURL(forHost host: String) -> String {
        "\(scheme(forHost: host))://\(host)/v2/"
    }

    /// The CA certificate files configured for `host`, in the order found.
    public func caFiles(forHost host: String) -> [String] {
        var files: [String] = []
        for root in certsDirectories {
            let dir = root + "/" + host
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            files += names.filter { $0.hasSuffix(".crt") }.sorted().map { dir + "/" + $0 }
        }
        return files
    }

    /// TLS configuration for `host`: nil (the client's default, system CAs) unless CA files exist.
    /// Throws ``RegistryError`` (`configuration`) for an unreadable CA file.
    func tlsConfiguration(forHost host: String) throws -> TLSConfiguration? {
        let files = caFiles(forHost: host)
        guard !files.isEmpty else { return nil }
        var certificates: [NIOSSLCertificate] = []
        for file in files {
            do {
                certificates += try NIOSSLCertificate.fromPEMFile(file)
            } catch {
                throw RegistryError(.configuration, "cannot load CA certificate \(file): \(error)")
            }
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.additionalTrustRoots = [.certificates(certificates)]
        return tls
    }
}

import ContainerRuntime
import Foundation
import XCTest

final class EtcFilesTests: XCTestCase {
    func testResolvConfDropsLoopbackNameserversWithoutHostNetworking() throws {
        let directory = try Fixture.scratch("resolv")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let host = directory + "/resolv.conf"
        try "search example.org\nnameserver 127.0.0.53\nnameserver 10.0.0.2\noptions edns0\n"
            .write(toFile: host, atomically: true, encoding: .utf8)
        let shared = EtcFiles.standard(hostname: "box", network: .host, hostResolvConf: host)
        XCTAssertEqual(shared.resolvConf, "search example.org\nnameserver 127.0.0.53\nnameserver 10.0.0.2\noptions edns0\n")
        let isolated = EtcFiles.standard(hostname: "box", network: .none, hostResolvConf: host)
        XCTAssertEqual(isolated.resolvConf, "search example.org\nnameserver 10.0.0.2\noptions edns0\n")
        XCTAssertEqual(isolated.hosts, "127.0.0.1\tlocalhost box\n::1\tlocalhost ip6-localhost ip6-loopback\n")
        XCTAssertEqual(isolated.hostname, "box\n")

        try "nameserver 127.0.0.1\n".write(toFile: host, atomically: true, encoding: .utf8)
        let fallback = EtcFiles.standard(hostname: "box", network: .none, hostResolvConf: host)
        XCTAssertEqual(fallback.resolvConf?.split(separator: "\n").first, "nameserver 8.8.8.8")
    }
}

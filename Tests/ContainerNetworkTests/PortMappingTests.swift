@testable import ContainerNetwork
import XCTest

/// `-p` parsing. Expectations from docker/go-connections nat.ParsePortSpec (what `docker run -p` uses) and the
/// Docker run reference ("Publish or expose port (-p, --expose)").
final class PortMappingTests: XCTestCase {
    func testContainerPortOnlyGetsAFreeEphemeralHostPortOnAllAddresses() throws {
        let mappings = try PortMapping.parse("80")
        XCTAssertEqual(mappings.count, 1)
        XCTAssertEqual(mappings[0].hostIP, "0.0.0.0")
        XCTAssertEqual(mappings[0].containerPort, 80)
        XCTAssertEqual(mappings[0].proto, "tcp")
        XCTAssertNotEqual(mappings[0].hostPort, 0)
        XCTAssertTrue(HostPorts.isFree(ip: "0.0.0.0", port: mappings[0].hostPort, proto: "tcp"))
    }

    func testHostAndContainerPort() throws {
        XCTAssertEqual(try PortMapping.parse("8080:80"), [PortMapping(hostIP: "0.0.0.0", hostPort: 8080, containerPort: 80, proto: "tcp")])
        XCTAssertEqual(try PortMapping.parse("127.0.0.1:8080:80/udp"),
                       [PortMapping(hostIP: "127.0.0.1", hostPort: 8080, containerPort: 80, proto: "udp")])
        // The protocol is lower-cased; "80/" is tcp (nat.SplitProtoPort).
        XCTAssertEqual(try PortMapping.parse("8080:80/UDP")[0].proto, "udp")
        XCTAssertEqual(try PortMapping.parse("8080:80/")[0].proto, "tcp")
    }

    func testAddressWithEmptyHostPortPicksAFreePortOnThatAddress() throws {
        let mapping = try XCTUnwrap(PortMapping.parse("127.0.0.1::80").first)
        XCTAssertEqual(mapping.hostIP, "127.0.0.1")
        XCTAssertNotEqual(mapping.hostPort, 0)
        // Host port "0" means the same as an empty one.
        XCTAssertNotEqual(try PortMapping.parse("127.0.0.1:0:80")[0].hostPort, 0)
    }

    func testIPv6AddressInBrackets() throws {
        XCTAssertEqual(try PortMapping.parse("[::1]:8080:80"), [PortMapping(hostIP: "::1", hostPort: 8080, containerPort: 80, proto: "tcp")])
        XCTAssertEqual(try PortMapping.parse("[::1]:8080:80")[0].description, "80/tcp -> [::1]:8080")
    }

    func testRangesMapPortByPort() throws {
        XCTAssertEqual(try PortMapping.parse("127.0.0.1:8000-8002:80-82/udp").map { [$0.hostPort, $0.containerPort] },
                       [[8000, 80], [8001, 81], [8002, 82]])
        // A container range without host ports: each gets its own free port.
        let dynamic = try PortMapping.parse("127.0.0.1::80-81")
        XCTAssertEqual(dynamic.map(\.containerPort), [80, 81])
        XCTAssertTrue(dynamic.allSatisfy { $0.hostPort != 0 })
    }

    func testHostRangeForOneContainerPortPicksAFreePortOfTheRange() throws {
        let mapping = try XCTUnwrap(PortMapping.parse("127.0.0.1:39100-39110:80").first)
        XCTAssertTrue((39100...39110).contains(mapping.hostPort))
    }

    func testDockerRejections() {
        // nat.ParsePortSpec's errors.
        assertInvalid("", "no port specified")
        assertInvalid("8080:", "no port specified")
        assertInvalid("8080:80/icmp", "invalid proto: icmp")
        assertInvalid("8080:http", "invalid containerPort: http")
        assertInvalid("8080:70000", "invalid containerPort: 70000")
        assertInvalid("x:80", "invalid hostPort: x")
        assertInvalid("8000-8001:80-82", "invalid ranges specified for container and host Ports: 80-82 and 8000-8001")
        assertInvalid("82-80", "invalid containerPort: 82-80")
        assertInvalid("300.1.1.1:8080:80", "invalid IP address: 300.1.1.1")
        assertInvalid("8080:80/sctp", "sctp")
        assertInvalid("8080:0", "invalid containerPort: 0")
    }

    func testPublishAllUsesFreeHostPortsForEveryExposedPort() throws {
        // Docker's -P: "Publish all exposed ports to random ports".
        let mappings = try PortMapping.publishAll(exposedPorts: ["80/tcp", "53/udp"], hostIP: "127.0.0.1")
        XCTAssertEqual(mappings.map(\.containerPort), [53, 80])
        XCTAssertEqual(mappings.map(\.proto), ["udp", "tcp"])
        XCTAssertTrue(mappings.allSatisfy { $0.hostIP == "127.0.0.1" && $0.hostPort != 0 })
    }

    func testPastaPortSpecsBindOnlyTheRequestedAddress() {
        let command = PastaCommand(networkNamespaceFile: "/s/netns",
                                   ports: [PortMapping(hostIP: "127.0.0.1", hostPort: 8080, containerPort: 80),
                                           PortMapping(hostIP: "::1", hostPort: 5353, containerPort: 53, proto: "udp")],
                                   pidFile: "/s/pasta.pid", logFile: "/s/pasta.log", forwardDNS: true)
        let arguments = command.arguments
        XCTAssertTrue(arguments.joined(separator: " ").contains("--tcp-ports 127.0.0.1/8080:80 --udp-ports ::1/5353:53"), "\(arguments)")
        XCTAssertTrue(arguments.joined(separator: " ").contains("--tcp-ns none --udp-ns none"))
        // No published ports: nothing is forwarded (pasta's default would be "auto").
        var build = PastaCommand(networkNamespaceFile: "n", ports: [], pidFile: "p", logFile: "l", forwardDNS: true)
        XCTAssertFalse(build.arguments.contains("--ipv4-only"))
        build.ipv4Only = true
        XCTAssertTrue(build.arguments.contains("--ipv4-only"), "a build's network is IPv4 only, as Docker's default bridge")
        let none = PastaCommand(networkNamespaceFile: "n", ports: [], pidFile: "p", logFile: "l", forwardDNS: false).arguments
        XCTAssertTrue(none.joined(separator: " ").contains("--tcp-ports none --udp-ports none"), "\(none)")
        XCTAssertFalse(none.contains("--dns-forward"))
    }

    private func assertInvalid(_ spec: String, _ expected: String, line: UInt = #line) {
        XCTAssertThrowsError(try PortMapping.parse(spec), line: line) { error in
            XCTAssertTrue("\(error)".contains(expected), "\(error)", line: line)
        }
    }
}

@testable import ContainerNetwork
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// pasta serving a network namespace the way `kiln run` uses it (issue 6, item 4): loopback, a default route and
/// outbound connectivity in the container, `-p` ports published on the host (Docker run reference, "Publish or
/// expose port"), no host firewall change. Every host socket here is on 127.0.0.1; tests of outbound traffic run
/// pasta inside a fake host's network namespace (`FakeHost`), so nothing leaves the machine, and check that the
/// host's loopback stays out of reach (issue 14: pasta's gateway mapping opened it).
final class UserNetworkTests: XCTestCase {
    private var root = ""
    private var stateDirectory = ""

    override func setUpWithError() throws {
        guard UserNetwork.pastaPath != nil else {
            throw XCTSkip("pasta is not installed (Debian package passt; scripts/install-deps.sh installs it)")
        }
        guard getuid() == 0 else { throw XCTSkip("binding a network namespace to a file needs root") }
        root = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-net-\(UUID().uuidString)").path
        stateDirectory = root
    }

    override func tearDown() {
        UserNetwork.cleanUp(stateDirectory: stateDirectory)
        try? FileManager.default.removeItem(atPath: root)
    }

    func testPublishedTCPPortReachesAServerOnTheContainersAllAddressesAndStopFreesIt() throws {
        let namespace = try NamespaceProcess()
        let hostPort = try HostPorts.freePort(ip: "127.0.0.1", proto: "tcp")
        let network = try UserNetwork.start(pid: namespace.pid, ports: [PortMapping(hostIP: "127.0.0.1", hostPort: hostPort, containerPort: 80)],
                                            stateDirectory: stateDirectory)
        XCTAssertTrue(HelperProcess.isRunning(network.helperPID))
        // The host side binds only the requested address.
        XCTAssertEqual(TestSocket.listeningAddresses(port: hostPort), ["127.0.0.1"])

        // A server inside the namespace on 0.0.0.0:80, as a container's web server.
        let server = try namespace.socket(Int32(SOCK_STREAM.rawValue))
        defer { close(server) }
        try TestSocket.bind(server, "0.0.0.0", 80, listen: true)
        let served = TestSocket.serveOnce(server, reply: "hello from the container")

        let client = try TestSocket.make(Int32(SOCK_STREAM.rawValue))
        defer { close(client) }
        try TestSocket.connect(client, "127.0.0.1", hostPort)
        TestSocket.send(client, "GET /")
        XCTAssertEqual(TestSocket.receive(client), "hello from the container")
        XCTAssertEqual(served(), "GET /")

        // stop ends pasta, frees the host port and removes the namespace file.
        let helper = network.helperPID
        UserNetwork.stop(helperPID: helper)
        XCTAssertFalse(HelperProcess.isRunning(helper))
        XCTAssertTrue(TestSocket.listeningAddresses(port: hostPort).isEmpty)
        XCTAssertTrue(HostPorts.isFree(ip: "127.0.0.1", port: hostPort, proto: "tcp"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateDirectory + "/netns"))
    }

    func testContainerHasLoopbackADefaultRouteAndOutboundButNotTheHostsLoopback() throws {
        // Everything in a fake host's namespace: no packet of this test leaves the machine.
        let host = try FakeHost.start()
        let namespace = try NamespaceProcess()
        // The state directory is created with its parents.
        stateDirectory += "/containers/c1"
        let directory = stateDirectory
        let network = try host.perform { try UserNetwork.start(pid: namespace.pid, ports: [], stateDirectory: directory) }
        defer { network.stop() }

        // Loopback is up: a server and a client inside the namespace on 127.0.0.1.
        let local = try namespace.socket(Int32(SOCK_STREAM.rawValue))
        defer { close(local) }
        let localPort = try TestSocket.bind(local, "127.0.0.1", 0, listen: true)
        let localServed = TestSocket.serveOnce(local, reply: "loopback")
        let localClient = try namespace.socket(Int32(SOCK_STREAM.rawValue))
        defer { close(localClient) }
        try TestSocket.connect(localClient, "127.0.0.1", localPort)
        TestSocket.send(localClient, "ping")
        XCTAssertEqual(TestSocket.receive(localClient), "loopback")
        XCTAssertEqual(localServed(), "ping")

        // A default route, through pasta's gateway address (the fake host's gateway).
        let gateway = try XCTUnwrap(namespace.routes().first { $0.destination == "0.0.0.0" }?.gateway, "\(namespace.routes())")
        XCTAssertEqual(gateway, "192.0.2.1")

        try assertHostIsolation(host: host, namespace: "/proc/\(namespace.pid)/ns/net", gateway: gateway)
    }

    func testADetachedNamespaceServedForABuildHasOutboundButNotTheHostsLoopback() throws {
        let host = try FakeHost.start()
        let directory = stateDirectory + "/build-net"
        let network = try host.perform { try UserNetwork.startDetached(stateDirectory: directory) }
        XCTAssertTrue(HelperProcess.isRunning(network.helperPID))
        XCTAssertEqual(network.namespaceFile, directory + "/netns")
        XCTAssertEqual(network.ports, [])
        try assertHostIsolation(host: host, namespace: network.namespaceFile, gateway: "192.0.2.1")
        network.stop()
        XCTAssertFalse(HelperProcess.isRunning(network.helperPID))
        XCTAssertFalse(FileManager.default.fileExists(atPath: network.namespaceFile))
    }

    /// From the namespace at `namespace`: a server on the host's 127.0.0.1 is reachable neither at 127.0.0.1 (the
    /// namespace's own loopback) nor through the gateway (`--no-map-gw`) nor at the host's address pasta copied;
    /// a server on another address of the host is (outbound connectivity, as through Docker's bridge).
    private func assertHostIsolation(host: NamespaceProcess, namespace: String, gateway: String) throws {
        let loopbackServer = try host.socket(Int32(SOCK_STREAM.rawValue))
        defer { close(loopbackServer) }
        let port = try TestSocket.bind(loopbackServer, "127.0.0.1", 0, listen: true)
        for target in ["127.0.0.1", gateway, "192.0.2.2"] {
            let client = try NamespaceProcess.socket(Int32(SOCK_STREAM.rawValue), inNamespace: namespace)
            defer { close(client) }
            XCTAssertThrowsError(try TestSocket.connect(client, target, port), "the host's loopback reached through \(target)")
        }

        let outboundServer = try host.socket(Int32(SOCK_STREAM.rawValue))
        defer { close(outboundServer) }
        let outboundPort = try TestSocket.bind(outboundServer, FakeHost.otherAddress, 0, listen: true)
        let served = TestSocket.serveOnce(outboundServer, reply: "hello from the host")
        let outbound = try NamespaceProcess.socket(Int32(SOCK_STREAM.rawValue), inNamespace: namespace)
        defer { close(outbound) }
        try TestSocket.connect(outbound, FakeHost.otherAddress, outboundPort)
        TestSocket.send(outbound, "outbound")
        XCTAssertEqual(TestSocket.receive(outbound), "hello from the host")
        XCTAssertEqual(served(), "outbound")
    }

    func testPublishedUDPPortForwardsDatagramsBothWays() throws {
        // Same port on both sides: pasta 0.0~git20230309 (Debian bookworm) drops the container's replies to a
        // loopback client when the host port differs from the container port (its spliced UDP path); datagrams
        // into the container arrive either way (next test).
        let namespace = try NamespaceProcess()
        let port = try HostPorts.freePort(ip: "127.0.0.1", proto: "udp")
        let network = try UserNetwork.start(pid: namespace.pid, ports: [PortMapping(hostIP: "127.0.0.1", hostPort: port, containerPort: port, proto: "udp")],
                                            stateDirectory: stateDirectory)
        defer { network.stop() }
        XCTAssertTrue(TestSocket.listeningAddresses(port: port).isEmpty, "a UDP mapping publishes no TCP port")
        let server = try namespace.socket(Int32(SOCK_DGRAM.rawValue))
        defer { close(server) }
        try TestSocket.bind(server, "0.0.0.0", port, listen: false)
        let received = Box("")
        let done = DispatchSemaphore(value: 0)
        Thread { received.value = TestSocket.receiveAndAnswer(server, reply: "pong"); done.signal() }.start()

        let client = try TestSocket.make(Int32(SOCK_DGRAM.rawValue))
        defer { close(client) }
        try TestSocket.bind(client, "127.0.0.1", 0, listen: false)
        try TestSocket.sendTo(client, "127.0.0.1", port, "ping")
        XCTAssertEqual(TestSocket.receive(client), "pong")
        _ = done.wait(timeout: .now() + 20)
        XCTAssertEqual(received.value, "ping")
    }

    func testPublishedUDPPortWithAnotherContainerPortDeliversDatagrams() throws {
        let namespace = try NamespaceProcess()
        let hostPort = try HostPorts.freePort(ip: "127.0.0.1", proto: "udp")
        let network = try UserNetwork.start(pid: namespace.pid, ports: [PortMapping(hostIP: "127.0.0.1", hostPort: hostPort, containerPort: 5353, proto: "udp")],
                                            stateDirectory: stateDirectory)
        defer { network.stop() }
        let server = try namespace.socket(Int32(SOCK_DGRAM.rawValue))
        defer { close(server) }
        try TestSocket.bind(server, "0.0.0.0", 5353, listen: false)
        let client = try TestSocket.make(Int32(SOCK_DGRAM.rawValue))
        defer { close(client) }
        try TestSocket.sendTo(client, "127.0.0.1", hostPort, "datagram")
        XCTAssertEqual(TestSocket.receive(server), "datagram")
    }

    func testDNSQueriesToTheNameserverReachTheHostsResolver() throws {
        // A stand-in resolver on the host's 127.0.0.1:53 (pasta's -D replaces /etc/resolv.conf's resolvers).
        let resolver = try TestSocket.make(Int32(SOCK_DGRAM.rawValue))
        defer { close(resolver) }
        do { try TestSocket.bind(resolver, "127.0.0.1", 53, listen: false) } catch {
            throw XCTSkip("127.0.0.1:53 is taken on this host: \(error)")
        }
        let namespace = try NamespaceProcess()
        let network = try UserNetwork.start(pid: namespace.pid, ports: [], stateDirectory: stateDirectory, dnsServers: ["127.0.0.1"])
        defer { network.stop() }
        XCTAssertEqual(network.nameservers, [PastaCommand.dnsForwardAddress])
        let received = Box("")
        let done = DispatchSemaphore(value: 0)
        Thread { received.value = TestSocket.receiveAndAnswer(resolver, reply: "answer"); done.signal() }.start()

        let client = try namespace.socket(Int32(SOCK_DGRAM.rawValue))
        defer { close(client) }
        try TestSocket.bind(client, "0.0.0.0", 0, listen: false)
        try TestSocket.sendTo(client, network.nameservers[0], 53, "query")
        XCTAssertEqual(TestSocket.receive(client), "answer")
        _ = done.wait(timeout: .now() + 20)
        XCTAssertEqual(received.value, "query")
    }

    func testPortInUseIsAClearError() throws {
        let taken = try TestSocket.make(Int32(SOCK_STREAM.rawValue))
        defer { close(taken) }
        let port = try TestSocket.bind(taken, "127.0.0.1", 0, listen: true)
        let namespace = try NamespaceProcess()
        XCTAssertThrowsError(try UserNetwork.start(pid: namespace.pid, ports: [PortMapping(hostIP: "127.0.0.1", hostPort: port, containerPort: 80)],
                                                   stateDirectory: stateDirectory)) { error in
            XCTAssertEqual(error as? ContainerNetworkError, .portInUse("127.0.0.1:\(port)/tcp"))
            XCTAssertEqual("\(error)", "cannot publish port: 127.0.0.1:\(port)/tcp is already in use on the host")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateDirectory + "/netns"))
    }

    func testStopLeavesAProcessThatIsNotPastaAlone() throws {
        let namespace = try NamespaceProcess()
        UserNetwork.stop(helperPID: namespace.pid)
        XCTAssertTrue(HelperProcess.isRunning(namespace.pid))
    }
}

import ContainerNetwork
import ContainerRuntime
import Foundation
import ImageStore

/// The network a build's RUN steps share by default, like BuildKit's sandbox: a network namespace of its
/// own with loopback and outbound connectivity through pasta, made once, at the first RUN that needs it,
/// and joined by every such step (`NetworkMode.joined`), so a step pays nothing for it. The host's loopback
/// (and every service listening only there) is out of reach; see `UserNetwork`.
///
/// The namespace file and pasta's files live in a scratch folder of the store. Should kiln be killed, a
/// `DeathGuard` ends pasta and unmounts the namespace; the next build removes the folder (`removeAbandonedScratch`).
final class BuildNetwork: @unchecked Sendable {
    private let store: ContentStore
    private let lock = NSLock()
    private var network: UserNetwork?
    private var folder: URL?
    private var failure: Error?
    private var guardian: DeathGuard?
    private var prewarming = false
    private var stopped = false

    init(store: ContentStore) {
        self.store = store
    }

    /// What a RUN step joins: the namespace file, and the resolv.conf naming pasta's DNS forwarder (nil when
    /// the host names no resolver). Starts the network on first use; a failure is remembered and thrown again.
    func attach() throws -> (namespaceFile: String, resolvConf: String?) {
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw failure }
        if stopped { throw BuildError("the build's network is already stopped") }
        if network == nil {
            do {
                let folder = try store.makeScratchDirectory("net")
                self.folder = folder
                let state = folder.appendingPathComponent("pasta").path
                // Should kiln die (SIGKILL), pasta and the namespace go with it. Armed before pasta starts
                // and reading pasta's pid file when it acts: armed after, a kill in between left pasta
                // running for good (2 of 100 builds SIGKILLed at random moments, stress run 2).
                guardian = DeathGuard.start(script: "pid=$(cat \"$1\" 2>/dev/null) && kill -TERM \"$pid\" 2>/dev/null; \"$3\" -l \"$2\" 2>/dev/null",
                                            arguments: [state + "/pasta.pid", state + "/netns", DeathGuard.umountPath])
                let started = try UserNetwork.startDetached(stateDirectory: state)
                network = started
            } catch {
                failure = error
                throw error
            }
        }
        let host = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        return (network!.namespaceFile, network!.nameservers.isEmpty ? nil : UserNetwork.resolvConf(hostResolvConf: host))
    }

    /// Starts the network in the background, so that the first RUN step that joins it does not wait
    /// for pasta (~100 ms). Called at a build's first cache miss when a RUN step may need the network.
    /// A failure is remembered for `attach`, which reports it only if a step really joins.
    func prewarm() {
        guard lock.try() else { return }  // held: the network is being started or stopped
        let needed = network == nil && failure == nil && !prewarming
        prewarming = true
        lock.unlock()
        guard needed else { return }
        Thread.detachNewThread { [self] in _ = try? attach() }
    }

    /// Ends pasta, removes the namespace and the folder; idempotent.
    func stop() {
        lock.lock()
        defer { lock.unlock() }
        stopped = true
        guardian?.dismiss()
        guardian = nil
        network?.stop()
        network = nil
        if let folder { try? FileManager.default.removeItem(at: folder) }
        folder = nil
    }
}

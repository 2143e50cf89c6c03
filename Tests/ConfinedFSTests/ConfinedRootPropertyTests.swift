import ConfinedFS
import Foundation
import XCTest

/// Random symlink graphs in a temporary root (links to `/..`, `..` chains, absolute paths,
/// loops, /proc/self/root, host canary paths), then random operations through ConfinedRoot.
/// After every operation: the same outcome (value or errno) and the same tree as the in-memory
/// reference; at the end, the host canary tree is exactly as it was. Deterministic (seeded).
final class ConfinedRootPropertyTests: XCTestCase {
    /// SplitMix64: small, seedable, the same on every machine.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let names = ["kza", "kzb", "kzc", "kzd"]  // unlikely on any host, should a regression leak

    func testRandomSymlinkGraphsNeverLeaveTheRoot() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root (chown)") }
        let id = UUID().uuidString
        let canary = "/tmp/kiln-fuzz-canary-\(id)"
        let base = "/tmp/kiln-fuzz-root-\(id)"
        try FileManager.default.createDirectory(atPath: canary + "/kza/kzb", withIntermediateDirectories: true)
        try Data("canary".utf8).write(to: URL(fileURLWithPath: canary + "/kza/file"))
        defer {
            try? FileManager.default.removeItem(atPath: canary)
            try? FileManager.default.removeItem(atPath: base)
        }
        let hostNames = Self.names.filter { FileManager.default.fileExists(atPath: "/" + $0) }
        let before = HostileTree.snapshot(canary)
        var random = Generator(state: 0x6B69_6C6E_2031_32)
        let iterations = 2500
        for iteration in 0..<iterations {
            let root = base + "/\(iteration)"
            var model = ReferenceTree()
            try plant(&model, root: root, canary: canary, random: &random)
            let fsRoot = try ConfinedRoot(root)
            for step in 0..<6 {
                let description = try operate(fsRoot, &model, canary: canary, random: &random)
                let disk = ReferenceTree.scan(root)
                guard disk == model else {
                    XCTFail("iteration \(iteration) step \(step): \(description): the tree differs from the reference\n"
                        + "disk:  \(disk.nodes.sorted { $0.key < $1.key })\nmodel: \(model.nodes.sorted { $0.key < $1.key })")
                    return
                }
            }
            try? FileManager.default.removeItem(atPath: root)
        }
        XCTAssertEqual(HostileTree.snapshot(canary), before, "the host canary changed")
        print("outcomes:", outcomes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        for operation in ["mkdirAll", "createFile", "chown", "chmod", "readlink", "remove", "readFile", "symlink", "resolve", "locate"] {
            XCTAssertGreaterThan(outcomes[operation + " ok"] ?? 0, 20, "\(operation) rarely succeeds: the test is too weak")
        }
        XCTAssertGreaterThan(outcomes["mkdirAll errno \(ELOOP)"] ?? 0, 0, "no symlink loop met")
        XCTAssertEqual(Self.names.filter { FileManager.default.fileExists(atPath: "/" + $0) }, hostNames, "created in the host's /")
    }

    /// A random tree: directories, files, and links among hostile targets.
    private func plant(_ model: inout ReferenceTree, root: String, canary: String, random: inout Generator) throws {
        let fsRoot = try { () throws -> ConfinedRoot in
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            XCTAssertEqual(Glibc.chmod(root, 0o755), 0)
            return try ConfinedRoot(root)
        }()
        for _ in 0..<Int.random(in: 6...12, using: &random) {
            let path = randomPath(random: &random, maxDepth: 2)
            switch Int.random(in: 0..<3, using: &random) {
            case 0:
                // On a copy: a failing mkdirAll may have made some directories already.
                var attempt = model
                if (try? attempt.mkdirAll(path, mode: 0o755, uid: 0)) != nil {
                    model = attempt
                    _ = try fsRoot.mkdirAll(path)
                }
            case 1:
                if (try? model.createFile(path, mode: 0o644, uid: 0)) != nil { _ = try fsRoot.createFile(path) }
            default:
                let target = randomTarget(canary: canary, random: &random)
                if (try? model.symlink(target, at: path)) != nil { try fsRoot.symlink(target, at: path) }
            }
        }
    }

    private func randomPath(random: inout Generator, maxDepth: Int = 4) -> String {
        let count = Int.random(in: 1...maxDepth, using: &random)
        let parts = (0..<count).map { _ -> String in
            switch Int.random(in: 0..<10, using: &random) {
            case 0: "."
            case 1: ".."
            default: Self.names.randomElement(using: &random)!
            }
        }
        return (Bool.random(using: &random) ? "/" : "") + parts.joined(separator: "/")
    }

    private func randomTarget(canary: String, random: inout Generator) -> String {
        switch Int.random(in: 0..<12, using: &random) {
        case 0: "/.."
        case 1: "../../../../.."
        case 2: "/proc/self/root"
        case 3: "/proc/self/root" + canary
        case 4: canary
        case 5: canary + "/kza"
        case 6: canary + "/kza/file"
        case 7: "/"
        case 8: ".."
        default: randomPath(random: &random, maxDepth: 3)
        }
    }

    /// One random operation on both; returns what it did (for a failure message).
    private func operate(_ fsRoot: ConfinedRoot, _ model: inout ReferenceTree, canary: String, random: inout Generator) throws -> String {
        let path = Bool.random(using: &random) ? randomPath(random: &random) : randomTarget(canary: canary, random: &random) + "/" + randomPath(random: &random, maxDepth: 2)
        let uid: UInt32 = Bool.random(using: &random) ? 0 : 1234
        let mode: UInt32 = [0o700, 0o755, 0o640, 0o711].randomElement(using: &random)!
        switch Int.random(in: 0..<10, using: &random) {
        case 9:
            let description = "locate \(path)"
            compare(description, { try model.locate(path) }, { try fsRoot.locate(path) })
            return description
        case 0:
            let description = "mkdirAll \(path) uid \(uid)"
            compare(description, { try model.mkdirAll(path, mode: mode, uid: uid) },
                    { try fsRoot.pathInRoot(of: try fsRoot.mkdirAll(path, mode: mode_t(mode), owner: Ownership(uid: uid, gid: uid))) })
            return description
        case 1:
            let description = "createFile \(path)"
            compare(description, { try model.createFile(path, mode: mode, uid: uid) },
                    { try fsRoot.pathInRoot(of: try fsRoot.createFile(path, mode: mode_t(mode), owner: Ownership(uid: uid, gid: uid))) })
            return description
        case 2:
            let description = "chown \(path) \(uid)"
            compare(description, { try model.chown(path, uid: uid); return true }, { try fsRoot.chown(path, Ownership(uid: uid, gid: uid)); return true })
            return description
        case 3:
            let description = "chmod \(path) \(String(mode, radix: 8))"
            compare(description, { try model.chmod(path, mode: mode); return true }, { try fsRoot.chmod(path, mode_t(mode)); return true })
            return description
        case 4:
            let description = "readlink \(path)"
            compare(description, { try model.readlink(path) }, { try fsRoot.readlink(path) })
            return description
        case 5:
            let description = "remove \(path)"
            compare(description, { try model.remove(path); return true }, { try fsRoot.remove(path); return true })
            return description
        case 6:
            let description = "readFile \(path)"
            compare(description, { try model.readFile(path) }, { try fsRoot.readFile(path).map { String(decoding: $0, as: UTF8.self) } })
            return description
        case 7:
            let target = randomTarget(canary: canary, random: &random)
            let description = "symlink \(path) -> \(target)"
            compare(description, { try model.symlink(target, at: path); return true }, { try fsRoot.symlink(target, at: path); return true })
            return description
        default:
            let description = "resolve \(path)"
            compare(description, { try model.resolved(path) }, { try fsRoot.resolve(path) })
            return description
        }
    }

    /// Outcomes seen, by operation and errno (0: success), to check the test reaches both.
    private var outcomes: [String: Int] = [:]

    /// The same value, or the same errno.
    private func compare<T: Equatable>(_ description: String, _ reference: () throws -> T, _ real: () throws -> T) {
        let expected = Result { try reference() }
        let actual = Result { try real() }
        let operation = String(description.prefix(while: { $0 != " " }))
        switch actual {
        case .success: outcomes[operation + " ok", default: 0] += 1
        case .failure(let error): outcomes[operation + " errno \((error as? ConfinedFSError)?.errno ?? -1)", default: 0] += 1
        }
        switch (expected, actual) {
        case (.success(let e), .success(let a)):
            XCTAssertEqual(a, e, description)
        case (.failure(let e), .failure(let a)):
            XCTAssertEqual((a as? ConfinedFSError)?.errno, (e as? ConfinedFSError)?.errno, "\(description): \(a) vs reference \(e)")
        default:
            XCTFail("\(description): \(actual) vs reference \(expected)")
        }
    }
}

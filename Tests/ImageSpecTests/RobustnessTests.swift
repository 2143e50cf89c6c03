import Foundation
import XCTest
@testable import ImageSpec

/// Random and mutated inputs: every parser and decoder must return or throw, never trap, and
/// whatever parses must be a fixed point of printing and parsing again.
final class RobustnessTests: XCTestCase {
    /// A small deterministic generator (SplitMix64), so failures reproduce.
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

    static let alphabet: [Character] = Array("abcz09AZ:/@._-[]+ é\u{0}\n\"\\") + ["sha256:", "sha512:", "localhost", "docker.io/", "v8", "arm64", "linux/", String(repeating: "a", count: 32)].flatMap { Array($0) }

    private func randomString(_ generator: inout Generator) -> String {
        let pieces = ["sha256:", "@", "localhost:5000/", "docker.io/", "linux/", "arm", "/v7", hex64a, "T00:00:00", "2024-01-01", "Z", "+02:00", ".5"]
        var text = ""
        for _ in 0..<Int.random(in: 0...12, using: &generator) {
            if Bool.random(using: &generator) {
                text += pieces.randomElement(using: &generator)!
            } else {
                text.append(Self.alphabet.randomElement(using: &generator)!)
            }
        }
        return text
    }

    func testRandomStringsNeverTrap() throws {
        var generator = Generator(state: 42)
        var parsedReferences = 0
        for _ in 0..<10_000 {
            let input = randomString(&generator)
            if let reference = try? ImageReference(parsing: input) {
                parsedReferences += 1
                XCTAssertEqual(try ImageReference(parsing: reference.description), reference, input)
                XCTAssertEqual(try ImageReference(parsing: reference.familiar), reference, input)
            }
            if let digest = try? Digest(parsing: input) {
                XCTAssertEqual(digest.description, input)
            }
            if let platform = try? Platform(parsing: input) {
                XCTAssertEqual(try Platform(parsing: platform.description), platform, input)
                _ = platform.compatiblePlatforms
            }
            if let type = try? MediaType(parsing: input) {
                XCTAssertEqual(type.rawValue, input)
            }
            if let stamp = try? Timestamp(parsing: input) {
                XCTAssertEqual(stamp.text, input)
                _ = Timestamp(secondsSinceEpoch: stamp.secondsSinceEpoch, nanoseconds: stamp.nanoseconds).text
            }
        }
        XCTAssertGreaterThan(parsedReferences, 100, "the generator should reach valid references too")
    }

    func testMutatedDocumentsNeverTrap() throws {
        let seeds = [ManifestTests.dockerManifest, ManifestTests.dockerManifestList, ImageConfigTests.legacyDockerConfig, ImageConfigTests.buildKitConfig]
            .map { Array($0.utf8) }
        let replacements = Array("{}[]\":,0-1e9nulltrue\\ \u{0}".utf8)
        var generator = Generator(state: 7)
        for _ in 0..<3_000 {
            var bytes = seeds.randomElement(using: &generator)!
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[position] = replacements.randomElement(using: &generator)!
                case 1: bytes.remove(at: position)
                default: bytes = Array(bytes[..<position])
                }
                if bytes.isEmpty { break }
            }
            let data = Data(bytes)
            _ = try? CanonicalJSON.decode(Manifest.self, from: data)
            _ = try? CanonicalJSON.decode(Index.self, from: data)
            if let config = try? CanonicalJSON.decode(ImageConfig.self, from: data) {
                // Whatever decodes re-encodes, and the re-encoding is stable.
                let once = try CanonicalJSON.encode(config)
                XCTAssertEqual(try CanonicalJSON.encode(try CanonicalJSON.decode(ImageConfig.self, from: once)), once)
            }
        }
    }
}

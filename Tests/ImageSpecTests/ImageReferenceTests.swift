import Foundation
import XCTest
@testable import ImageSpec

final class ImageReferenceTests: XCTestCase {
    struct Valid {
        var input: String
        var domain: String
        var repository: String
        var tag: String?
        var digest: String? = nil
        var familiar: String
        var registryHost: String? = nil
    }

    static let d256 = "sha256:" + String(repeating: "0123456789abcdef", count: 4)
    static let d512 = "sha512:" + String(repeating: "0123456789abcdef", count: 8)

    static let valid: [Valid] = [
        Valid(input: "alpine", domain: "docker.io", repository: "library/alpine", tag: "latest", familiar: "alpine:latest", registryHost: "registry-1.docker.io"),
        Valid(input: "alpine:3.19", domain: "docker.io", repository: "library/alpine", tag: "3.19", familiar: "alpine:3.19"),
        Valid(input: "library/alpine", domain: "docker.io", repository: "library/alpine", tag: "latest", familiar: "alpine:latest"),
        Valid(input: "docker.io/alpine", domain: "docker.io", repository: "library/alpine", tag: "latest", familiar: "alpine:latest"),
        Valid(input: "docker.io/library/alpine:edge", domain: "docker.io", repository: "library/alpine", tag: "edge", familiar: "alpine:edge"),
        Valid(input: "index.docker.io/library/alpine", domain: "docker.io", repository: "library/alpine", tag: "latest", familiar: "alpine:latest"),
        Valid(input: "index.docker.io/user/repo", domain: "docker.io", repository: "user/repo", tag: "latest", familiar: "user/repo:latest"),
        Valid(input: "user/repo", domain: "docker.io", repository: "user/repo", tag: "latest", familiar: "user/repo:latest", registryHost: "registry-1.docker.io"),
        Valid(input: "user/repo/sub:1.0", domain: "docker.io", repository: "user/repo/sub", tag: "1.0", familiar: "user/repo/sub:1.0"),
        Valid(input: "docker.io/library/foo/bar", domain: "docker.io", repository: "library/foo/bar", tag: "latest", familiar: "library/foo/bar:latest"),
        // The familiar form keeps docker.io/ where dropping it would change the meaning.
        Valid(input: "docker.io/example.com/foo", domain: "docker.io", repository: "example.com/foo", tag: "latest", familiar: "docker.io/example.com/foo:latest"),
        Valid(input: "docker.io/localhost/foo", domain: "docker.io", repository: "localhost/foo", tag: "latest", familiar: "docker.io/localhost/foo:latest"),
        Valid(input: "docker.io/docker.io/foo", domain: "docker.io", repository: "docker.io/foo", tag: "latest", familiar: "docker.io/docker.io/foo:latest"),
        Valid(input: "example/foo", domain: "docker.io", repository: "example/foo", tag: "latest", familiar: "example/foo:latest"),
        Valid(input: "localhost/name", domain: "localhost", repository: "name", tag: "latest", familiar: "localhost/name:latest", registryHost: "localhost"),
        Valid(input: "localhost:5000/busybox", domain: "localhost:5000", repository: "busybox", tag: "latest", familiar: "localhost:5000/busybox:latest", registryHost: "localhost:5000"),
        Valid(input: "localhost:5000/busybox:1.36", domain: "localhost:5000", repository: "busybox", tag: "1.36", familiar: "localhost:5000/busybox:1.36"),
        Valid(input: "localhost", domain: "docker.io", repository: "library/localhost", tag: "latest", familiar: "localhost:latest"),
        Valid(input: "localhost:5000", domain: "docker.io", repository: "library/localhost", tag: "5000", familiar: "localhost:5000"),
        Valid(input: "ghcr.io/owner/repo:v1.2.3", domain: "ghcr.io", repository: "owner/repo", tag: "v1.2.3", familiar: "ghcr.io/owner/repo:v1.2.3", registryHost: "ghcr.io"),
        Valid(input: "registry.example.com:443/a/b/c:tag", domain: "registry.example.com:443", repository: "a/b/c", tag: "tag", familiar: "registry.example.com:443/a/b/c:tag"),
        Valid(input: "my-registry.local:5000/team/app:2024.01.01", domain: "my-registry.local:5000", repository: "team/app", tag: "2024.01.01", familiar: "my-registry.local:5000/team/app:2024.01.01"),
        Valid(input: "127.0.0.1:5000/foo", domain: "127.0.0.1:5000", repository: "foo", tag: "latest", familiar: "127.0.0.1:5000/foo:latest"),
        Valid(input: "[::1]:5000/foo", domain: "[::1]:5000", repository: "foo", tag: "latest", familiar: "[::1]:5000/foo:latest"),
        Valid(input: "[2001:db8::1]/foo:t", domain: "[2001:db8::1]", repository: "foo", tag: "t", familiar: "[2001:db8::1]/foo:t"),
        Valid(input: "example.com/foo", domain: "example.com", repository: "foo", tag: "latest", familiar: "example.com/foo:latest"),
        Valid(input: "xn--bcher-kva.example/foo", domain: "xn--bcher-kva.example", repository: "foo", tag: "latest", familiar: "xn--bcher-kva.example/foo:latest"),
        // Docker treats a first component with uppercase letters as a registry domain.
        Valid(input: "Foo/bar", domain: "Foo", repository: "bar", tag: "latest", familiar: "Foo/bar:latest"),
        Valid(input: "foo_bar/a__b/c-d/e---f/g.h", domain: "docker.io", repository: "foo_bar/a__b/c-d/e---f/g.h", tag: "latest", familiar: "foo_bar/a__b/c-d/e---f/g.h:latest"),
        Valid(input: "a", domain: "docker.io", repository: "library/a", tag: "latest", familiar: "a:latest"),
        Valid(input: "0", domain: "docker.io", repository: "library/0", tag: "latest", familiar: "0:latest"),
        Valid(input: "alpine:_tag", domain: "docker.io", repository: "library/alpine", tag: "_tag", familiar: "alpine:_tag"),
        Valid(input: "alpine:Tag_UPPER.-x", domain: "docker.io", repository: "library/alpine", tag: "Tag_UPPER.-x", familiar: "alpine:Tag_UPPER.-x"),
        Valid(input: "alpine:" + String(repeating: "t", count: 128), domain: "docker.io", repository: "library/alpine", tag: String(repeating: "t", count: 128), familiar: "alpine:" + String(repeating: "t", count: 128)),
        Valid(input: "alpine@" + d256, domain: "docker.io", repository: "library/alpine", tag: nil, digest: d256, familiar: "alpine@" + d256),
        Valid(input: "alpine:3.19@" + d256, domain: "docker.io", repository: "library/alpine", tag: "3.19", digest: d256, familiar: "alpine:3.19@" + d256),
        Valid(input: "localhost:5000/foo@" + d512, domain: "localhost:5000", repository: "foo", tag: nil, digest: d512, familiar: "localhost:5000/foo@" + d512),
        Valid(input: "ghcr.io/o/r:v1@" + d256, domain: "ghcr.io", repository: "o/r", tag: "v1", digest: d256, familiar: "ghcr.io/o/r:v1@" + d256),
    ]

    func testValidReferences() throws {
        for c in Self.valid {
            let ref: ImageReference
            do { ref = try ImageReference(parsing: c.input) } catch {
                XCTFail("\(c.input): \(error)")
                continue
            }
            XCTAssertEqual(ref.domain, c.domain, c.input)
            XCTAssertEqual(ref.repository, c.repository, c.input)
            XCTAssertEqual(ref.tag, c.tag, c.input)
            XCTAssertEqual(ref.digest?.description, c.digest, c.input)
            XCTAssertEqual(ref.familiar, c.familiar, c.input)
            if let host = c.registryHost { XCTAssertEqual(ref.registryHost, host, c.input) }
            // The full form is a fixed point of parsing, and so is the familiar form.
            XCTAssertEqual(try ImageReference(parsing: ref.description), ref, c.input)
            XCTAssertEqual(try ImageReference(parsing: ref.familiar), ref, c.input)
        }
    }

    struct Invalid {
        var input: String
        var message: String
        var code: ImageSpecError.Code = .invalidReference
    }

    static let invalid: [Invalid] = [
        Invalid(input: "", message: "invalid reference format: repository name must have at least one component"),
        Invalid(input: "Alpine", message: "invalid reference format: repository name must be lowercase"),
        Invalid(input: "library/Alpine", message: "invalid reference format: repository name must be lowercase"),
        Invalid(input: "user/Repo", message: "invalid reference format: repository name must be lowercase"),
        Invalid(input: "UPPER:tag", message: "invalid reference format: repository name must be lowercase"),
        Invalid(input: "localhost:5000/Busybox", message: "invalid reference format: repository name must be lowercase"),
        Invalid(input: "ghcr.io/Owner/repo", message: "invalid reference format: repository name must be lowercase"),
        Invalid(input: "alpine:", message: "invalid reference format: invalid tag \"\""),
        Invalid(input: "alpine:-tag", message: "invalid tag \"-tag\""),
        Invalid(input: "alpine:.tag", message: "invalid tag \".tag\""),
        Invalid(input: "alpine:" + String(repeating: "t", count: 129), message: "invalid tag"),
        Invalid(input: "alpine:tag with space", message: "invalid tag"),
        Invalid(input: "alpine:tag+plus", message: "invalid tag"),
        Invalid(input: ":latest", message: "invalid repository name component \"\""),
        Invalid(input: "/alpine", message: "invalid repository name component \"\""),
        Invalid(input: "alpine/", message: "invalid repository name component \"\""),
        Invalid(input: "foo//bar", message: "invalid repository name component \"\""),
        Invalid(input: "-foo", message: "invalid repository name component \"-foo\""),
        Invalid(input: "foo-", message: "invalid repository name component \"foo-\""),
        Invalid(input: "foo_", message: "invalid repository name component"),
        Invalid(input: "foo.", message: "invalid repository name component"),
        Invalid(input: ".foo", message: "invalid repository name component"),
        Invalid(input: "foo..bar", message: "invalid repository name component"),
        Invalid(input: "foo._bar", message: "invalid repository name component"),
        Invalid(input: "foo___bar", message: "invalid repository name component"),
        Invalid(input: "foo bar", message: "invalid repository name component"),
        Invalid(input: " alpine", message: "invalid repository name component"),
        Invalid(input: "alpine:latest:extra", message: "invalid repository name component"),
        Invalid(input: "ümlaut", message: "invalid repository name component"),
        Invalid(input: "foo@sha256:abc", message: "invalid reference format: invalid digest"),
        Invalid(input: "foo@", message: "invalid reference format: invalid digest"),
        Invalid(input: "foo@latest", message: "invalid reference format: invalid digest"),
        Invalid(input: "foo@sha256:" + String(repeating: "a", count: 63), message: "invalid checksum digest length"),
        Invalid(input: "foo@md5:d41d8cd98f00b204e9800998ecf8427e", message: "unsupported digest algorithm"),
        Invalid(input: "foo@sha256:" + String(repeating: "A", count: 64), message: "lowercase"),
        Invalid(input: "foo@" + d256 + "@" + d256, message: "invalid digest"),
        Invalid(input: hex64a, message: "cannot specify 64-byte hexadecimal strings"),
        Invalid(input: "docker.io/" + String(repeating: "a/", count: 125) + "a", message: "repository name must not be more than 255 characters"),
        Invalid(input: "example.com:/foo", message: "invalid registry domain"),
        Invalid(input: "example.com:abc/foo", message: "invalid registry domain"),
        Invalid(input: "-example.com/foo", message: "invalid registry domain"),
        Invalid(input: "example-.com/foo", message: "invalid registry domain"),
        Invalid(input: "example..com/foo", message: "invalid registry domain"),
        Invalid(input: "[::1/foo", message: "invalid registry domain"),
        Invalid(input: "[::1]x/foo", message: "invalid registry domain"),
        Invalid(input: "[]:5000/foo", message: "invalid registry domain"),
        Invalid(input: "exa_mple.com/foo", message: "invalid registry domain"),
    ]

    func testInvalidReferences() {
        for c in Self.invalid {
            assertImageSpecError(c.code, c.message, c.input) { try ImageReference(parsing: c.input) }
            XCTAssertNil(ImageReference(c.input), c.input)
        }
    }

    func testHundredTwentyEightCharacterTagIsTheLimit() throws {
        XCTAssertTrue(ImageReference.isValidTag(String(repeating: "x", count: 128)))
        XCTAssertFalse(ImageReference.isValidTag(String(repeating: "x", count: 129)))
        XCTAssertFalse(ImageReference.isValidTag(""))
    }

    func testNameLengthLimitIsTwoHundredFiftyFive() throws {
        // docker.io/ + library/ + name: 18 characters of prefix.
        let fits = String(repeating: "a", count: 255 - "docker.io/library/".count)
        XCTAssertNoThrow(try ImageReference(parsing: fits))
        assertImageSpecError(.invalidReference, "255") { try ImageReference(parsing: fits + "a") }
    }

    func testWithoutDefaultTag() throws {
        let ref = try ImageReference(parsing: "alpine", addingDefaultTag: false)
        XCTAssertNil(ref.tag)
        XCTAssertNil(ref.manifestReference)
        XCTAssertEqual(ref.description, "docker.io/library/alpine")
        XCTAssertEqual(ref.familiar, "alpine")
    }

    func testEditingAndManifestReference() throws {
        let ref = try ImageReference(parsing: "alpine:3.19@" + Self.d256)
        XCTAssertEqual(ref.manifestReference, Self.d256)
        XCTAssertEqual(try ref.withTag("edge").description, "docker.io/library/alpine:edge")
        XCTAssertEqual(try ref.withTag("edge").manifestReference, "edge")
        assertImageSpecError(.invalidTag, "invalid tag") { try ref.withTag("-bad") }
        XCTAssertEqual(ref.nameOnly.description, "docker.io/library/alpine")
        XCTAssertEqual(ref.nameOnly.withDigest(sha256a).description, "docker.io/library/alpine@sha256:" + hex64a)
        XCTAssertEqual(ref.name, "docker.io/library/alpine")
        XCTAssertEqual(ref.familiarName, "alpine")
        XCTAssertTrue(ref.isDockerHub)
        XCTAssertFalse(try ImageReference(parsing: "localhost/x").isDockerHub)
    }

    func testMemberwiseInitNormalisesAndValidates() throws {
        XCTAssertEqual(try ImageReference(domain: "docker.io", repository: "alpine", tag: "3").description, "docker.io/library/alpine:3")
        XCTAssertEqual(try ImageReference(domain: "localhost:5000", repository: "a/b").description, "localhost:5000/a/b")
        assertImageSpecError(.invalidReference, "lowercase") { try ImageReference(domain: "ghcr.io", repository: "A") }
        assertImageSpecError(.invalidReference, "domain") { try ImageReference(domain: "", repository: "a") }
        assertImageSpecError(.invalidReference, "domain") { try ImageReference(domain: "a/b", repository: "c") }
        // A domain that Docker's rule would read as a path component is refused, not silently moved.
        assertImageSpecError(.invalidReference, "domain") { try ImageReference(domain: "registry", repository: "c") }
        XCTAssertEqual(try ImageReference(domain: "index.docker.io", repository: "c").domain, "docker.io")
    }

    func testCodableUsesFullForm() throws {
        let ref = try ImageReference(parsing: "localhost:5000/busybox")
        let data = try CanonicalJSON.encode(["ref": ref])
        XCTAssertEqual(text(data), #"{"ref":"localhost:5000/busybox:latest"}"#)
        XCTAssertEqual(try CanonicalJSON.decode([String: ImageReference].self, from: data)["ref"], ref)
        assertImageSpecError(.invalidReference, "at ref: invalid reference format") {
            try CanonicalJSON.decode([String: ImageReference].self, from: json(#"{"ref":"Bad"}"#))
        }
    }
}

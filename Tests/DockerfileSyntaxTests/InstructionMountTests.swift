import XCTest
@testable import DockerfileSyntax

final class InstructionMountTests: XCTestCase {
    private let identity: MountExpander = { $0 }

    private func mount(_ spec: String, file: StaticString = #filePath, line: UInt = #line) -> Mount? {
        do { return try Mount.parse(spec, expander: identity) } catch {
            XCTFail("\(spec): \(error)", file: file, line: line)
            return nil
        }
    }

    private func assertMountError(_ spec: String, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Mount.parse(spec, expander: identity), file: file, line: line) {
            XCTAssertEqual(($0 as? DockerfileError)?.message, message, spec, file: file, line: line)
        }
    }

    func testDefaultsPerType() {
        let bind = mount("target=/src")
        XCTAssertEqual(bind?.type, .bind)
        XCTAssertEqual(bind?.readOnly, true)
        XCTAssertNil(bind?.sharing)
        let cache = mount("type=cache,target=/root/.cache/../cache/")
        XCTAssertEqual(cache?.readOnly, false)
        XCTAssertEqual(cache?.sharing, .shared)
        XCTAssertEqual(cache?.effectiveMode, 0o755)
        XCTAssertEqual(cache?.effectiveID, "/root/cache")
        let tmpfs = mount("type=tmpfs,target=/t,size=64m")
        XCTAssertEqual(tmpfs?.readOnly, false)
        XCTAssertEqual(tmpfs?.sizeLimit, 64 * 1024 * 1024)
        let secret = mount("type=secret,target=/run/secrets/token")
        XCTAssertEqual(secret?.readOnly, true)
        XCTAssertEqual(secret?.effectiveMode, 0o400)
        XCTAssertEqual(secret?.effectiveID, "token")
        XCTAssertEqual(secret?.required, false)
        let ssh = mount("type=ssh")
        XCTAssertEqual(ssh?.effectiveMode, 0o600)
        XCTAssertEqual(ssh?.effectiveID, "default")
    }

    func testEveryOption() {
        let m = mount("type=cache,id=gomod,target=/go/pkg/mod,from=builder,source=/x,sharing=LOCKED,mode=0700,uid=1000,gid=1001,ro")
        XCTAssertEqual(m?.cacheID, "gomod")
        XCTAssertEqual(m?.target, "/go/pkg/mod")
        XCTAssertEqual(m?.from, "builder")
        XCTAssertEqual(m?.source, "/x")
        XCTAssertEqual(m?.sharing, .locked)
        XCTAssertEqual(m?.mode, 0o700)
        XCTAssertEqual(m?.uid, 1000)
        XCTAssertEqual(m?.gid, 1001)
        XCTAssertEqual(m?.readOnly, true)
        let s = mount("TYPE=Secret,ID=aws,env=AWS_KEY,required=true,dst=/k,readwrite=true")
        XCTAssertEqual(s?.type, .secret)
        XCTAssertEqual(s?.env, "AWS_KEY")
        XCTAssertEqual(s?.required, true)
        XCTAssertEqual(s?.target, "/k")
        XCTAssertEqual(s?.readOnly, false)
        XCTAssertEqual(mount("type=ssh,required")?.required, true)
        XCTAssertEqual(mount("rw,type=bind,destination=/a,src=b")?.readOnly, false)
        XCTAssertEqual(mount("type=bind,readonly=false,target=/a")?.readOnly, false)
    }

    func testCSVQuoting() {
        XCTAssertEqual(mount("type=bind,\"target=/a,b\"")?.target, "/a,b")
        XCTAssertEqual(mount("\"target=/say \"\"hi\"\"\"")?.target, "/say \"hi\"")
        assertMountError("target=/a\"b", "failed to parse csv mounts: parse error on line 1, column 10: bare \" in non-quoted-field")
        XCTAssertThrowsError(try Mount.parse("\"target=/a", expander: nil))
    }

    func testFieldOrderMatters() {
        assertMountError("required,type=secret,id=x", "unexpected key 'required' for mount type 'bind'")
        assertMountError("size=1m,type=tmpfs", "unexpected key 'size' for mount type 'bind'")
        XCTAssertEqual(mount("type=secret,id=x,required")?.required, true)
    }

    func testValidationErrors() {
        assertMountError("type=foo", "unsupported mount type \"foo\"")
        XCTAssertThrowsError(try Mount.parse("type=cach", expander: identity)) {
            XCTAssertEqual(($0 as? DockerfileError)?.suggestion, "did you mean cache?")
        }
        assertMountError("type=secret,from=x,id=a", "secret mount should not have a from")
        assertMountError("type=secret", "one of source, target required")
        assertMountError("type=secret,source=a,id=b", "both source and id can't be set")
        assertMountError("type=secret,id=a,sharing=private", "invalid cache sharing set for secret mount")
        assertMountError("type=cache,sharing=nope,target=/a", "unsupported sharing value \"nope\"")
        assertMountError("type=bind,mode=0600,target=/a", "mode not allowed for \"bind\" type mounts")
        assertMountError("type=tmpfs,uid=1,target=/a", "uid not allowed for \"tmpfs\" type mounts")
        assertMountError("type=bind,gid=1,target=/a", "gid not allowed for \"bind\" type mounts")
        assertMountError("type=cache,mode=0800,target=/a", "invalid value 0800 for mode")
        assertMountError("type=cache,uid=-1,target=/a", "invalid value -1 for uid")
        assertMountError("type=tmpfs,size=lots,target=/a", "invalid value for size: lots")
        assertMountError("type=bind,ro=maybe", "invalid value for ro: maybe")
        assertMountError("type=bind,target", "invalid field 'target' must be a key=value pair")
        assertMountError("type=bind,tagret=/a", "unexpected key 'tagret' in 'tagret=/a'")
        assertMountError("type=ssh,source=x", "ssh does not support source")
    }

    func testParseTimeChecksOnlyWhatBuildKitChecks() {
        XCTAssertNoThrow(try Mount.parse("type=$T,target=$DIR,bogus=1,required", expander: nil))
        XCTAssertThrowsError(try Mount.parse("from=$STAGE", expander: nil)) {
            XCTAssertEqual(($0 as? DockerfileError)?.message,
                           "'from' doesn't support variable expansion, define alias stage instead")
        }
        XCTAssertNoThrow(try Mount.parse("from=stage$", expander: nil))
        assertInstructionError("RUN --mount=type=bind,from=${X} true",
                               "'from' doesn't support variable expansion, define alias stage instead")
        XCTAssertNotNil(instruction("RUN --mount=type=nope true"), "full validation happens at dispatch")
    }

    func testRunInstructionMountsWithExpander() throws {
        guard case .run(let run)? = instruction("RUN --mount=type=$KIND,target=/c --mount=type=tmpfs,target=/t true") else {
            return XCTFail()
        }
        XCTAssertNil(run.literalMounts)
        let mounts = try run.mounts(expandingWith: { $0 == "$KIND" ? "cache" : $0 })
        XCTAssertEqual(mounts.map(\.type), [.cache, .tmpfs])
        XCTAssertThrowsError(try run.mounts(expandingWith: { $0 == "$KIND" ? "bogus" : $0 })) {
            XCTAssertEqual(($0 as? DockerfileError)?.message, "unsupported mount type \"bogus\"")
            XCTAssertEqual(($0 as? DockerfileError)?.range?.start.column, 5)
        }
        guard case .run(let literal)? = instruction("RUN --mount=type=cache,target=/c true") else { return XCTFail() }
        XCTAssertEqual(literal.literalMounts?.first?.type, .cache)
    }

    func testRAMInBytes() {
        XCTAssertEqual(MountSize.ramInBytes("1024"), 1024)
        XCTAssertEqual(MountSize.ramInBytes("1k"), 1024)
        XCTAssertEqual(MountSize.ramInBytes("1 KiB"), 1024)
        XCTAssertEqual(MountSize.ramInBytes("1.5g"), 1_610_612_736)
        XCTAssertEqual(MountSize.ramInBytes("2Tb"), 2 * 1024 * 1024 * 1024 * 1024)
        XCTAssertNil(MountSize.ramInBytes(""))
        XCTAssertNil(MountSize.ramInBytes("1x"))
        XCTAssertNil(MountSize.ramInBytes("-1m"))
        XCTAssertNil(MountSize.ramInBytes("1.2.3m"))
        XCTAssertNil(MountSize.ramInBytes(".5m"))
    }
}

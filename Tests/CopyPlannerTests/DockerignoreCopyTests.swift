import XCTest

/// `.dockerignore` cases: ignored files are invisible to COPY/ADD. Expectations from
/// shared/conformance/references/CASE (summary.json, or build.log for rejected cases).
final class DockerignoreCopyTests: ConformanceCopyTestsBase {
    func testAllowlistAlternating() throws { try check("up-dockerignore-allowlist-alternating") }
    func testAllowlistNothingDot() throws { try check("up-dockerignore-allowlist-nothing-dot") }
    func testAllowlistNothingSlash() throws { try check("up-dockerignore-allowlist-nothing-slash") }
    func testAllowlistSubdirFileDir() throws { try check("up-dockerignore-allowlist-subdir-file-dir") }
    func testAllowlistSubdirFileFile() throws { try check("up-dockerignore-allowlist-subdir-file-file") }
    func testAllowlistSubdirNofileDirBuildkit() throws { try check("up-dockerignore-allowlist-subdir-nofile-dir-buildkit") }
    func testAllowlistSubdirNofileFileBuildkit() throws { try check("up-dockerignore-allowlist-subdir-nofile-file-buildkit") }
    func testAllowlistSubsubdirNofile() throws { try check("up-dockerignore-allowlist-subsubdir-nofile") }
    func testExceptionsDot() throws { try check("up-dockerignore-exceptions-dot") }
    func testExceptionsSkip() throws { try check("up-dockerignore-exceptions-skip") }
    func testExceptionsWeirdness1() throws { try check("up-dockerignore-exceptions-weirdness-1") }
    func testExceptionsWeirdness2() throws { try check("up-dockerignore-exceptions-weirdness-2") }
    func testExcludeDeepSubdirDot2() throws { try check("up-dockerignore-exclude-deep-subdir-dot-2") }
    func testExcludeDeepSubdirStar() throws { try check("up-dockerignore-exclude-deep-subdir-star") }
    func testExcludeDeepSubdirStar2() throws { try check("up-dockerignore-exclude-deep-subdir-star-2") }
    func testExcludeDeepWildcardDot() throws { try check("up-dockerignore-exclude-deep-wildcard-dot") }
    func testExcludeDeepWildcardStar() throws { try check("up-dockerignore-exclude-deep-wildcard-star") }
    func testExcludeKindOfDeepSubdirStar() throws { try check("up-dockerignore-exclude-kind-of-deep-subdir-star") }
    func testExcludeNotSoDeepSubdirStar() throws { try check("up-dockerignore-exclude-not-so-deep-subdir-star") }
    func testExcludePlainDot() throws { try check("up-dockerignore-exclude-plain-dot") }
    func testExcludePlainDot2() throws { try check("up-dockerignore-exclude-plain-dot-2") }
    func testExcludePlainStar() throws { try check("up-dockerignore-exclude-plain-star") }
    func testExcludePlainStar2() throws { try check("up-dockerignore-exclude-plain-star-2") }
    func testExcludeWildcardDot() throws { try check("up-dockerignore-exclude-wildcard-dot") }
    func testExcludeWildcardStar() throws { try check("up-dockerignore-exclude-wildcard-star") }
    func testIncludesDot() throws { try check("up-dockerignore-includes-dot") }
    func testIrrelevant() throws { try check("up-dockerignore-irrelevant") }
    func testMinimal() throws { try check("up-dockerignore-minimal-test") }
    func testFileInWorkdirInOtherStage() throws { try check("up-file-in-workdir-in-other-stage") }
    func testStageContainerAsSourcePlusHardlinks() throws { try check("up-stage-container-as-source-plus-hardlinks") }

    func testAllowlistAlternatingNothing() throws {
        try checkFails("up-dockerignore-allowlist-alternating-nothing", message: "\" not found")
    }
    func testAllowlistAlternatingOther() throws {
        try checkFails("up-dockerignore-allowlist-alternating-other", message: "\" not found")
    }
    func testCopyIntegration1IgnoredSubdir() throws {
        try checkFails("up-copy-integration1", message: "\"/subdir\" not found")
    }
}

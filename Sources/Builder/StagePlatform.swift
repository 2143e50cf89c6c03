import DockerfileSyntax
import ImageSpec

/// The platform a stage is built for: `FROM --platform=…` (expanded with the global ARGs and the
/// automatic platform ARGs, so `$BUILDPLATFORM` is the build platform even when `--platform`
/// names another target), else the build's target platform. As BuildKit's dockerfile2llb
/// (frontend/dockerfile testPlatformArgsExplicit: `FROM --platform=$BUILDPLATFORM` with
/// `--platform=darwin/ppc64le` runs on the build platform and sees TARGETPLATFORM=darwin/ppc64le).
extension Builder {
    func stagePlatform(_ index: Int) throws -> Platform {
        try Self.stagePlatform(index, plan: buildPlan)
    }

    static func stagePlatform(_ index: Int, plan: BuildPlan) throws -> Platform {
        let stage = plan.program.stages[index]
        guard let raw = stage.platform else { return plan.platform }
        let text: String
        do {
            text = try plan.global.lexer.processWord(raw, env: plan.global.environment)
        } catch {
            throw BuildError.at(stage.range, "\(error)")
        }
        guard !text.isEmpty else { return plan.platform }
        do {
            return try Platform(parsing: text)
        } catch {
            throw BuildError.at(stage.range, "failed to parse platform \(text): \(error)")
        }
    }

    /// The value of TARGETPLATFORM for a platform, as containerd's `platforms.Format` of a
    /// normalised platform prints it (`linux/arm64`, not `linux/arm64/v8`).
    public static func platformArgValue(_ platform: Platform) -> String {
        let p = platform.normalized()
        if p.architecture == "arm64", p.variant == "v8" { return "\(p.os)/\(p.architecture)" }
        return p.description
    }

    /// Whether an image made for `a` is the image wanted for `b` (OS and architecture; a variant only
    /// when both name one).
    static func samePlatform(_ a: Platform, _ b: Platform) -> Bool {
        let x = a.normalized(), y = b.normalized()
        guard x.os == y.os, x.architecture == y.architecture else { return false }
        return x.variant == nil || y.variant == nil || x.variant == y.variant
    }
}

import Foundation
import TestVectors
import XCTest

/// The tutorial's examples (issue 4), built for real on a Debian base (shared/tools/debian-base):
/// examples/nginx built by kiln and by Docker gives the same config, history and nginx files;
/// examples/multistage gives a small final image without the compiler whose program runs.
///
/// Skipped when not root (RUN needs runc) or when the Debian base cannot be made (no mirror).
/// The nginx comparison also needs the reference engine (skipped when KILN_SKIP_DOCKER is set).
final class ExampleTests: XCTestCase {
    static let base = "127.0.0.1:5000/fixture/debian:bookworm"
    static let runtime = "127.0.0.1:5000/busybox:latest"
    /// examples/ of this repository.
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples")

    private var shell = Shell()
    private var work: URL!

    override func setUpWithError() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root (RUN steps run in runc)") }
        work = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-examples-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        shell.environment["KILN_ROOT"] = work.appendingPathComponent("store").path
        try shell.check("\(Shell.tools)/local-registry start 5000 && \(Shell.tools)/local-registry seed 5000")
        let debian = try shell.run("\(Shell.tools)/debian-base 127.0.0.1:5000")
        guard debian.status == 0 else { throw XCTSkip("no Debian base image (debootstrap needs the mirror):\n\(debian.output)") }
    }

    override func tearDownWithError() throws {
        if let work { try? FileManager.default.removeItem(at: work) }
    }

    private var buildArgs: String { "--build-arg BASE=\(Self.base) --build-arg RUNTIME=\(Self.runtime)" }

    func testNginxMatchesDocker() throws {
        guard ProcessInfo.processInfo.environment["KILN_SKIP_DOCKER"] == nil else { throw XCTSkip("KILN_SKIP_DOCKER is set") }
        let context = Self.examples.appendingPathComponent("nginx").path
        let kilnTime = try timed { try shell.check("\(Shell.kiln) build -t kiln-example/nginx:1 \(buildArgs) '\(context)'") }

        try shell.startReferenceDocker()
        let dockerTime = try timed {
            try shell.check("/usr/bin/docker build -q --network=host -t kiln-example/nginx:docker \(buildArgs) '\(context)'")
        }
        defer { _ = try? shell.run("/usr/bin/docker rmi -f kiln-example/nginx:docker") }
        print("examples/nginx: kiln build \(kilnTime)s, docker build \(dockerTime)s")

        // Config.
        let kilnConfig = try inspectConfig(shell.check("\(Shell.kiln) inspect kiln-example/nginx:1"))
        let dockerConfig = try inspectConfig(shell.check("/usr/bin/docker image inspect kiln-example/nginx:docker"))
        for field in ["Cmd", "ExposedPorts", "Env", "WorkingDir", "Entrypoint"] {
            XCTAssertEqual(try canonical(kilnConfig[field]), try canonical(dockerConfig[field]), "Config.\(field)")
        }
        XCTAssertEqual(try canonical(kilnConfig["Cmd"]), #"["nginx","-g","daemon off;"]"#)

        // History.
        let dockerHistory = try shell.check("/usr/bin/docker history --no-trunc --format '{{.CreatedBy}}' kiln-example/nginx:docker")
            .split(separator: "\n").map(String.init).map(Self.currentExposeHistory)
        let kilnHistory = try shell.check("\(Shell.kiln) history --no-trunc --format json kiln-example/nginx:1")
            .split(separator: "\n").map { line -> String in
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                return object?["CreatedBy"] as? String ?? ""
            }
        XCTAssertEqual(kilnHistory, dockerHistory)

        // The nginx files (and no mount-point stub the base did not have).
        let kilnTar = work.appendingPathComponent("kiln.tar").path, dockerTar = work.appendingPathComponent("docker.tar").path
        try shell.check("\(Shell.kiln) save -o '\(kilnTar)' kiln-example/nginx:1")
        try shell.check("/usr/bin/docker save -o '\(dockerTar)' kiln-example/nginx:docker")
        let kilnFiles = try nginxFiles(listing(kilnTar)), dockerFiles = try nginxFiles(listing(dockerTar))
        XCTAssertEqual(kilnFiles, dockerFiles, "nginx files differ:\n" + lineDiff(kilnFiles, dockerFiles))
        for path in ["/usr/sbin/nginx", "/etc/nginx/nginx.conf", "/var/www/html/index.html"] {
            XCTAssertTrue(kilnFiles.contains { $0.hasPrefix(path + "  file ") }, "\(path) missing in kiln's image")
        }
    }

    func testMultistageIsSmallAndRuns() throws {
        let context = Self.examples.appendingPathComponent("multistage").path
        let kilnTime = try timed { try shell.check("\(Shell.kiln) build -t kiln-example/multistage:1 \(buildArgs) '\(context)'") }
        try shell.check("\(Shell.kiln) build --target build -t kiln-example/multistage-build:1 \(buildArgs) '\(context)'")
        print("examples/multistage: kiln build \(kilnTime)s")

        let finalSize = try imageSize("kiln-example/multistage:1"), buildSize = try imageSize("kiln-example/multistage-build:1")
        XCTAssertLessThan(finalSize * 10, buildSize, "final image \(finalSize) B is not under 10% of the build stage's \(buildSize) B")

        let tar = work.appendingPathComponent("multistage.tar").path
        try shell.check("\(Shell.kiln) save -o '\(tar)' kiln-example/multistage:1")
        let paths = try listing(tar).map(Self.path)
        XCTAssertTrue(paths.contains("/app/myapp"), "no /app/myapp in the final image")
        XCTAssertFalse(paths.contains { $0.hasPrefix("/usr/bin/gcc") }, "the compiler reached the final image")

        // No `kiln run` yet: run the binary in a RUN step and export the result.
        let probe = work.appendingPathComponent("probe"), out = work.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: probe, withIntermediateDirectories: true)
        try "FROM kiln-example/multistage:1\nRUN /app/myapp > /out.txt\n"
            .write(to: probe.appendingPathComponent("Dockerfile"), atomically: true, encoding: .utf8)
        try shell.check("\(Shell.kiln) build -o type=local,dest='\(out.path)' '\(probe.path)'")
        let greeting = try String(contentsOf: out.appendingPathComponent("out.txt"), encoding: .utf8)
        XCTAssertEqual(greeting, "Hello from a multistage build!\n")
    }

    // MARK: - Helpers

    private func timed(_ body: () throws -> Void) throws -> String {
        let start = Date()
        try body()
        return String(format: "%.1f", Date().timeIntervalSince(start))
    }

    /// `Config` of the first object of `docker image inspect`-style output.
    private func inspectConfig(_ output: String) throws -> [String: Any] {
        let array = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]]
        return array?.first?["Config"] as? [String: Any] ?? [:]
    }

    /// A field as canonical JSON; absent, null and "" are the same (Docker prints them differently).
    private func canonical(_ value: Any?) throws -> String {
        guard let value, !(value is NSNull), (value as? String) != "" else { return "null" }
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }

    private func imageSize(_ reference: String) throws -> Int {
        let array = try JSONSerialization.jsonObject(with: Data(try shell.check("\(Shell.kiln) inspect \(reference)").utf8)) as? [[String: Any]]
        return array?.first?["Size"] as? Int ?? 0
    }

    /// The file lines of `compare.py --list` (comment lines dropped).
    private func listing(_ image: String) throws -> [String] {
        let compare = Vectors.shared.appendingPathComponent("conformance/compare.py").path
        return try shell.check("python3 '\(compare)' --list '\(image)'").split(separator: "\n").map(String.init)
            .filter { $0.hasPrefix("/") }
    }

    private static func path(_ line: String) -> String {
        line.components(separatedBy: "  ").first ?? line
    }

    private func nginxFiles(_ lines: [String]) -> [String] {
        let prefixes = ["/usr/sbin/nginx", "/etc/nginx", "/usr/share/nginx", "/var/www"]
        return lines.filter { line in
            let path = Self.path(line)
            return path == "/etc/hosts" || prefixes.contains { path == $0 || path.hasPrefix($0 + "/") }
        }
    }

    private func lineDiff(_ a: [String], _ b: [String]) -> String {
        let onlyA = a.filter { !b.contains($0) }.map { "kiln only:   \($0)" }
        let onlyB = b.filter { !a.contains($0) }.map { "docker only: \($0)" }
        return (onlyA + onlyB).prefix(40).joined(separator: "\n")
    }

    /// Docker 20.10 writes EXPOSE's history as Go's map (`EXPOSE map[80/tcp:{}]`); current BuildKit
    /// (98eab3257), which kiln follows, as a list (`EXPOSE [80/tcp]`).
    static func currentExposeHistory(_ line: String) -> String {
        guard line.hasPrefix("EXPOSE map["), line.hasSuffix("]") else { return line }
        let ports = line.dropFirst("EXPOSE map[".count).dropLast().split(separator: " ").map { $0.replacingOccurrences(of: ":{}", with: "") }
        return "EXPOSE [\(ports.joined(separator: " "))]"
    }
}

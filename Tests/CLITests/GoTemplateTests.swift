@testable import kiln
import XCTest
import TestVectors

/// kiln's Go text/template subset, against what Go's text/template (with Docker's functions)
/// prints for the same template and data.
final class GoTemplateTests: XCTestCase {
    /// A Docker-inspect-like document: structs (`.object`), maps (`.map`), nil slices and maps.
    let image = GoJSON.object([
        ("Id", .string("sha256:abc")),
        ("RepoTags", .array([.string("web:1"), .string("web:latest")])),
        ("Size", .int(1234)),
        ("Os", .string("linux")),
        ("Config", .object([
            ("User", .string("")),
            ("Env", .array([.string("PATH=/bin"), .string("A=1")])),
            ("Cmd", .nilSlice),
            ("ExposedPorts", .map([("80/tcp", .object([]))])),
            ("Labels", .map([("maintainer", .string("me")), ("org.x", .string("<&>"))])),
            ("Volumes", .nilMap),
            ("Healthcheck", .null),
        ])),
        ("State", .object([("Status", .string("running")), ("Running", .bool(true)), ("ExitCode", .int(0))])),
    ])

    func render(_ template: String, _ data: GoJSON? = nil, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            return try GoTemplate(template).execute(data ?? image)
        } catch {
            XCTFail("\(template): \(error)", file: file, line: line)
            return ""
        }
    }

    func error(_ template: String) -> String {
        do {
            _ = try GoTemplate(template).execute(image)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testFieldsAndGoValueFormatting() {
        XCTAssertEqual(render("{{.Id}}"), "sha256:abc")
        XCTAssertEqual(render("id={{ .Id }} size={{.Size}}"), "id=sha256:abc size=1234")
        XCTAssertEqual(render("{{.State.Status}} {{.State.Running}} {{.State.ExitCode}}"), "running true 0")
        XCTAssertEqual(render("{{.Config.Env}}"), "[PATH=/bin A=1]")
        XCTAssertEqual(render("{{.Config.Cmd}}"), "[]")
        XCTAssertEqual(render("{{.Config.Volumes}}"), "map[]")
        XCTAssertEqual(render("{{.Config.Labels}}"), "map[maintainer:me org.x:<&>]")
        XCTAssertEqual(render("{{.Config.Healthcheck}}"), "<nil>")
        XCTAssertEqual(render("{{.Config.Labels.maintainer}}|{{.Config.Labels.missing}}"), "me|<no value>")
        XCTAssertEqual(render("{{.State}}"), "{running true 0}")
    }

    func testJSONIsGoEncodingWithoutHTMLEscaping() {
        XCTAssertEqual(render("{{json .Config.Labels}}"), #"{"maintainer":"me","org.x":"<&>"}"#)
        XCTAssertEqual(render("{{json .Config.Env}}"), #"["PATH=/bin","A=1"]"#)
        XCTAssertEqual(render("{{json .Config.Cmd}} {{json .Config.Volumes}} {{json .Size}} {{json .Id}}"), #"null null 1234 "sha256:abc""#)
        XCTAssertEqual(render("{{json .State}}"), #"{"Status":"running","Running":true,"ExitCode":0}"#)
        XCTAssertEqual(render("{{.Config.Labels | json}}"), #"{"maintainer":"me","org.x":"<&>"}"#)
    }

    func testRangeWithVariablesElseBreakContinue() {
        XCTAssertEqual(render("{{range .RepoTags}}[{{.}}]{{end}}"), "[web:1][web:latest]")
        XCTAssertEqual(render("{{range $i, $t := .RepoTags}}{{$i}}={{$t}} {{end}}"), "0=web:1 1=web:latest ")
        XCTAssertEqual(render("{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}};{{end}}"), "maintainer:me;org.x:<&>;")
        XCTAssertEqual(render("{{range $p, $_ := .Config.ExposedPorts}}{{$p}} {{end}}"), "80/tcp ")
        XCTAssertEqual(render("{{range .Config.Cmd}}x{{else}}empty{{end}}"), "empty")
        XCTAssertEqual(render("{{range .RepoTags}}{{if eq . \"web:1\"}}{{continue}}{{end}}{{.}}{{end}}"), "web:latest")
        XCTAssertEqual(render("{{range .RepoTags}}{{.}}{{break}}{{end}}"), "web:1")
        XCTAssertEqual(render("{{range .Config.Env}}{{$.Id}} {{end}}"), "sha256:abc sha256:abc ")
    }

    func testIfElseWithAndComparisons() {
        XCTAssertEqual(render("{{if .State.Running}}up{{else}}down{{end}}"), "up")
        XCTAssertEqual(render("{{if eq .State.Status \"exited\"}}a{{else if eq .State.Status \"running\"}}b{{else}}c{{end}}"), "b")
        XCTAssertEqual(render("{{if .Config.Cmd}}x{{else}}no cmd{{end}}"), "no cmd")
        XCTAssertEqual(render("{{if and .State.Running (gt .Size 1000)}}big{{end}}"), "big")
        XCTAssertEqual(render("{{if or .Config.User .Os}}{{or .Config.User \"root\"}}{{end}}"), "root")
        XCTAssertEqual(render("{{if not .Config.User}}none{{end}}"), "none")
        XCTAssertEqual(render("{{with .Config.Labels}}{{.maintainer}}{{end}}{{with .Config.User}}x{{else}}-{{end}}"), "me-")
        XCTAssertEqual(render("{{if ne .Os \"windows\"}}{{if lt .Size 2000}}ok{{end}}{{end}}"), "ok")
        XCTAssertEqual(render("{{eq .Os \"mac\" \"linux\"}}"), "true")
    }

    func testFunctionsDockerUsersWrite() {
        XCTAssertEqual(render("{{index .Config.Labels \"maintainer\"}}|{{index .Config.Labels \"nope\"}}|{{index .RepoTags 1}}"), "me||web:latest")
        XCTAssertEqual(render("{{join .RepoTags \",\"}}"), "web:1,web:latest")
        XCTAssertEqual(render("{{join (split \"a:b:c\" \":\") \"-\"}}"), "a-b-c")
        XCTAssertEqual(render("{{lower \"ABC\"}} {{upper .Os}} {{title \"hello world\"}}"), "abc LINUX Hello World")
        XCTAssertEqual(render("{{len .RepoTags}} {{len .Config.Labels}} {{len .Id}} {{len .Config.Cmd}}"), "2 2 10 0")
        XCTAssertEqual(render("{{println .Id}}"), "sha256:abc\n")
        XCTAssertEqual(render("{{println \"a\" 1 true}}"), "a 1 true\n")
        XCTAssertEqual(render("{{print \"a\" \"b\" 1 2 \"c\"}}"), "ab1 2c")
        XCTAssertEqual(render("{{printf \"%s has %d tags (%v) %q %5s|%-3d|\" .Os (len .RepoTags) .State.Running .Os \"ab\" 7}}"),
                       "linux has 2 tags (true) \"linux\"    ab|7  |")
        XCTAssertEqual(render("{{.Os | upper | printf \"<%s>\"}}"), "<LINUX>")
        XCTAssertEqual(render("{{truncate .Id 6}} [{{pad .Os 1 2}}]"), "sha256 [ linux  ]")
        XCTAssertEqual(render("{{$id := .Id}}{{range .RepoTags}}{{$id}} {{end}}"), "sha256:abc sha256:abc ")
        XCTAssertEqual(render("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}"), "2")
    }

    func testTrimMarkersCommentsAndLiterals() {
        XCTAssertEqual(render("a  {{- .Os -}}  b"), "alinuxb")
        XCTAssertEqual(render("{{/* a comment */}}x{{- /* trimmed */ -}} y"), "xy")
        XCTAssertEqual(render("{{`raw \\n`}}|{{\"q\\t\\\"\"}}|{{3}}|{{-2}}|{{true}}"), "raw \\n|q\t\"|3|-2|true")
        XCTAssertEqual(render("line1\n{{range .RepoTags -}}\n  {{.}}\n{{end -}}\nend"), "line1\nweb:1\nweb:latest\nend")
    }

    func testErrorsAreGoLike() {
        XCTAssertTrue(error("{{.Nope}}").contains("can't evaluate field Nope"), error("{{.Nope}}"))
        XCTAssertTrue(error("{{.Id").contains("unclosed action"), error("{{.Id"))
        XCTAssertTrue(error("{{if .Id}}x").contains("unexpected EOF"), error("{{if .Id}}x"))
        XCTAssertTrue(error("{{end}}").contains("unexpected {{end}}"), error("{{end}}"))
        XCTAssertTrue(error("{{nosuchfunc .Id}}").contains("function \"nosuchfunc\" not defined"), error("{{nosuchfunc .Id}}"))
        XCTAssertTrue(error("{{template \"x\"}}").contains("not supported"), error("{{template \"x\"}}"))
        XCTAssertTrue(error("{{.Id | .Os}}").contains("non-function"), error("{{.Id | .Os}}"))
        XCTAssertTrue(error("{{index .RepoTags 5}}").contains("index out of range"), error("{{index .RepoTags 5}}"))
        XCTAssertTrue(error("{{eq .Size \"x\"}}").contains("incompatible types"), error("{{eq .Size \"x\"}}"))
        XCTAssertTrue(error("{{$nope}}").contains("undefined variable"), error("{{$nope}}"))
        XCTAssertTrue(error("{{break}}").contains("outside {{range}}"), error("{{break}}"))
        XCTAssertTrue(error("{{.Config.Healthcheck.Test}}").contains("nil pointer"), error("{{.Config.Healthcheck.Test}}"))
    }

    func testListFormatTableHeaderAndEscapes() throws {
        let rows: [GoJSON] = [.object([("ID", .string("abc")), ("Names", .string("web"))]), .object([("ID", .string("defghijklmnop")), ("Names", .string("db"))])]
        let table = try XCTUnwrap(try OutputFormat("table {{.ID}}\\t{{.Names}}").render(rows, headers: ["ID": "CONTAINER ID", "Names": "NAMES"]))
        XCTAssertEqual(table, "CONTAINER ID    NAMES\nabc             web\ndefghijklmnop   db")
        XCTAssertEqual(try OutputFormat("{{.Names}}").render(rows, headers: [:]), "web\ndb")
        XCTAssertEqual(try OutputFormat("json").render(rows, headers: [:]), "{\"ID\":\"abc\",\"Names\":\"web\"}\n{\"ID\":\"defghijklmnop\",\"Names\":\"db\"}")
        XCTAssertNil(try OutputFormat("table").render(rows, headers: [:]))
        XCTAssertNil(try OutputFormat(nil).render(rows, headers: [:]))
    }
}

/// Every command kiln adds for Docker's habits has help, and its flags do not collide.
final class DockerCommandHelpTests: XCTestCase {
    func testHelpOfDockerStyleCommands() throws {
        for command in [["ps"], ["logs"], ["images"], ["inspect"], ["image", "inspect"], ["container", "inspect"], ["image", "prune"],
                        ["container", "prune"], ["builder", "prune"], ["system", "prune"], ["prune"], ["system", "df"], ["start"],
                        ["restart"], ["run"], ["exec"], ["build"]] {
            let result = try KilnProcess.run(command + ["--help"])
            XCTAssertEqual(result.status, 0, "\(command) --help: \(result.stderr)")
            XCTAssertTrue(result.stdout.contains("USAGE:"), "\(command) --help printed no usage: \(result.stdout)\(result.stderr)")
        }
    }
}

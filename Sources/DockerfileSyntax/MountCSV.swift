/// One CSV record, split the way Go's `encoding/csv` (via `go-csvvalue`) splits it: fields are
/// separated by `,`; a field that starts with `"` is quoted, `""` inside it is a literal quote, and
/// the closing quote must be followed by `,` or the end. A `"` inside an unquoted field is an error.
enum MountCSV {
    static func fields(_ text: String) throws(DockerfileError) -> [String] {
        var line = Substring(text)
        while let last = line.last, last == "\n" || last == "\r" || last == "\r\n" { line = line.dropLast() }
        if line.isEmpty { return [] }
        var fields: [String] = []
        var rest = line.unicodeScalars[...]
        var column = 1
        while true {
            var field = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                column += 1
                var closed = false
                while let s = rest.first {
                    rest = rest.dropFirst()
                    column += 1
                    if s == "\"" {
                        if rest.first == "\"" {
                            field.unicodeScalars.append("\"")
                            rest = rest.dropFirst()
                            column += 1
                            continue
                        }
                        closed = true
                        break
                    }
                    field.unicodeScalars.append(s)
                }
                guard closed, rest.isEmpty || rest.first == "," else {
                    throw DockerfileError("parse error on line 1, column \(column): extraneous or missing \" in quoted-field")
                }
            } else {
                while let s = rest.first, s != "," {
                    if s == "\"" {
                        throw DockerfileError("parse error on line 1, column \(column): bare \" in non-quoted-field")
                    }
                    field.unicodeScalars.append(s)
                    rest = rest.dropFirst()
                    column += 1
                }
            }
            fields.append(field)
            guard rest.first == "," else { return fields }
            rest = rest.dropFirst()
            column += 1
        }
    }
}

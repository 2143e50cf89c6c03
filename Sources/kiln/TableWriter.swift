/// Go's `text/tabwriter` as Docker's tables use it (min width 10, padding 3, spaces): every cell
/// but the last of a row is padded to its column's widest cell plus 3, at least 10.
struct TableWriter {
    var rows: [[String]] = []

    mutating func add(_ cells: [String]) { rows.append(cells) }

    func render() -> String {
        var widths: [Int] = []
        for row in rows {
            for (i, cell) in row.enumerated().dropLast() {
                if widths.count <= i { widths.append(0) }
                widths[i] = max(widths[i], cell.count)
            }
        }
        return rows.map { row in
            var line = ""
            for (i, cell) in row.enumerated() {
                if i == row.count - 1 {
                    line += cell
                } else {
                    let width = max(widths[i] + 3, 10)
                    line += cell + String(repeating: " ", count: max(0, width - cell.count))
                }
            }
            return line
        }.joined(separator: "\n")
    }
}

import XCTest
@testable import kiln

/// Docker's (go-units, tabwriter, encoding/json) formats as the image commands print them.
final class FormatTests: XCTestCase {
    func testHumanDurationMatchesGoUnits() {
        let minute = 60.0, hour = 3600.0, day = 86400.0, week = 7 * day, month = 30 * day, year = 365 * day
        let cases: [(TimeInterval, String)] = [
            (0.45, "Less than a second"), (1, "1 second"), (59, "59 seconds"), (60, "About a minute"),
            (35 * minute + 40, "35 minutes"), (hour, "About an hour"), (hour + 29 * minute, "About an hour"),
            (hour + 31 * minute, "2 hours"), (3 * hour + 60 * minute, "4 hours"), (day + 12 * hour, "36 hours"),
            (2 * day, "2 days"), (13 * day + 5 * hour, "13 days"), (2 * week + 4 * day, "2 weeks"), (month, "4 weeks"),
            (month + 2 * week, "6 weeks"), (2 * month, "2 months"), (24 * month, "24 months"),
            (24 * month + 2 * week, "2 years"), (3 * year + 2 * month, "3 years"),
        ]
        for (interval, expected) in cases {
            XCTAssertEqual(HumanUnits.duration(interval), expected, "\(interval)")
        }
    }

    func testHumanSizes() {
        XCTAssertEqual(HumanUnits.size(0), "0B")
        XCTAssertEqual(HumanUnits.size(999), "999B")
        XCTAssertEqual(HumanUnits.size(4_261_550), "4.26MB")
        XCTAssertEqual(HumanUnits.size4(4_261_550), "4.262MB")
        XCTAssertEqual(HumanUnits.size(10_240), "10.2kB")
        XCTAssertEqual(HumanUnits.size(999_999), "1e+03kB")
        XCTAssertEqual(HumanUnits.size(1_000_000_000), "1GB")
    }

    func testEllipsisAndTable() {
        XCTAssertEqual(HumanUnits.ellipsis("abc", 3), "abc")
        XCTAssertEqual(HumanUnits.ellipsis("abcdef", 4), "abc…")
        var table = TableWriter()
        table.add(["IMAGE", "SIZE", "COMMENT"])
        table.add(["<missing>", "0B", ""])
        XCTAssertEqual(table.render(), "IMAGE       SIZE      COMMENT\n<missing>   0B        ")
    }

    func testGoJSON() {
        let value = GoJSON.object([("A", .string("<none> & \"q\"")), ("B", .array([])), ("C", .null), ("D", .array([.int(1)]))])
        XCTAssertEqual(value.compact, #"{"A":"\u003cnone\u003e \u0026 \"q\"","B":[],"C":null,"D":[1]}"#)
        XCTAssertEqual(value.pretty, "{\n    \"A\": \"\\u003cnone\\u003e \\u0026 \\\"q\\\"\",\n    \"B\": [],\n    \"C\": null,\n    \"D\": [\n        1\n    ]\n}")
    }
}

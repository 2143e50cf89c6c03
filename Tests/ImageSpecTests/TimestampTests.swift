import Foundation
import XCTest
@testable import ImageSpec

final class TimestampTests: XCTestCase {
    func testParsing() throws {
        let cases: [(String, Int64, Int32)] = [
            ("1970-01-01T00:00:00Z", 0, 0),
            ("2023-11-14T22:13:20.123456789Z", 1_700_000_000, 123_456_789),
            ("2023-11-14T22:13:20.1Z", 1_700_000_000, 100_000_000),
            ("2023-11-14T22:13:20.1234567891234Z", 1_700_000_000, 123_456_789),
            ("2019-01-01T10:00:00+02:00", 1_546_329_600, 0),
            ("2019-01-01T06:30:00-01:30", 1_546_329_600, 0),
            ("2024-02-29T00:00:00Z", 1_709_164_800, 0),
            ("2000-02-29T00:00:00z", 951_782_400, 0),
            ("1969-12-31T23:59:59Z", -1, 0),
            ("0001-01-01T00:00:00Z", -62_135_596_800, 0),
        ]
        for (input, seconds, nanos) in cases {
            let stamp = try Timestamp(parsing: input)
            XCTAssertEqual(stamp.secondsSinceEpoch, seconds, input)
            XCTAssertEqual(stamp.nanoseconds, nanos, input)
            XCTAssertEqual(stamp.text, input)
        }
    }

    func testInvalid() {
        for input in [
            "", "yesterday", "2024-01-01", "2024-01-01 00:00:00Z", "2024-01-01T00:00:00", "2024-13-01T00:00:00Z",
            "2024-00-01T00:00:00Z", "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2024-04-31T00:00:00Z",
            "2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z", "2024-01-01T00:00:60Z", "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00+0200", "2024-01-01T00:00:00Zjunk", "24-01-01T00:00:00Z", "2024-1-01T00:00:00Z",
        ] {
            assertImageSpecError(.invalidTimestamp, "RFC 3339", input) { try Timestamp(parsing: input) }
        }
    }

    func testFormattingLikeGoRFC3339Nano() {
        XCTAssertEqual(Timestamp(secondsSinceEpoch: 0).text, "1970-01-01T00:00:00Z")
        XCTAssertEqual(Timestamp(secondsSinceEpoch: 1_700_000_000, nanoseconds: 123_456_789).text, "2023-11-14T22:13:20.123456789Z")
        XCTAssertEqual(Timestamp(secondsSinceEpoch: 1_700_000_000, nanoseconds: 120_000_000).text, "2023-11-14T22:13:20.12Z")
        XCTAssertEqual(Timestamp(secondsSinceEpoch: -1).text, "1969-12-31T23:59:59Z")
        XCTAssertEqual(Timestamp(secondsSinceEpoch: 951_782_400).text, "2000-02-29T00:00:00Z")
        XCTAssertEqual(Timestamp(secondsSinceEpoch: .max).text, "9999-12-31T23:59:59Z")
        XCTAssertEqual(Timestamp(secondsSinceEpoch: .min).text, "0000-01-01T00:00:00Z")
        XCTAssertEqual(Timestamp(Date(timeIntervalSince1970: 1_700_000_000.25)).text, "2023-11-14T22:13:20.25Z")
        XCTAssertEqual(Timestamp(Date(timeIntervalSince1970: -0.5)).text, "1969-12-31T23:59:59.5Z")
        XCTAssertEqual(Timestamp(Date(timeIntervalSince1970: .nan)).text, "1970-01-01T00:00:00Z")
        XCTAssertEqual(Timestamp(Date.distantFuture).text, "4001-01-01T00:00:00Z")
        XCTAssertEqual(Timestamp(Date(timeIntervalSince1970: 1e300)).text, "9999-12-31T23:59:59Z")
        XCTAssertEqual(Timestamp(Date(timeIntervalSince1970: -1e300)).text, "0000-01-01T00:00:00Z")
        XCTAssertEqual(try Timestamp(parsing: "2023-11-14T22:13:20.25Z").date, Date(timeIntervalSince1970: 1_700_000_000.25))
    }

    func testEveryDayRoundTrips() throws {
        // Formatting then parsing is the identity over four centuries, every third day.
        var day: Int64 = Timestamp.daysFromCivil(year: 1900, month: 1, day: 1)
        let end = Timestamp.daysFromCivil(year: 2300, month: 1, day: 1)
        while day < end {
            let stamp = Timestamp(secondsSinceEpoch: day * 86_400 + 3_723)
            XCTAssertEqual(try Timestamp(parsing: stamp.text).secondsSinceEpoch, stamp.secondsSinceEpoch)
            day += 3
        }
    }
}

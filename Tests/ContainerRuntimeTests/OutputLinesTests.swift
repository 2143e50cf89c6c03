@testable import ContainerRuntime
import XCTest

/// A RUN's stdout and stderr merged in whole lines (``OutputLines``): a line of one stream is never
/// cut by the other's, unfinished lines wait at most `holdNanoseconds`, and one shown unfinished
/// is ended before the other stream speaks.
final class OutputLinesTests: XCTestCase {
    private final class Collected: @unchecked Sendable { var text = "" }

    private func lines(_ body: (inout OutputLines) -> Void) -> String {
        let collected = Collected()
        var lines = OutputLines(streams: 2) { collected.text += String(decoding: $0, as: UTF8.self) }
        body(&lines)
        return collected.text
    }

    func testALineIsNotCutByTheOtherStream() {
        let text = lines { lines in
            lines.add(0, Array("ro-".utf8)[...], now: 1)
            lines.add(1, Array("sh: can't create /x\n".utf8)[...], now: 2)
            lines.add(0, Array("bind\nnext".utf8)[...], now: 3)
            lines.release(0)
        }
        XCTAssertEqual(text, "sh: can't create /x\nro-bind\nnext")
    }

    func testAnUnfinishedLineWaitsOnlyUntilItsTimeThenIsEndedBeforeTheOtherStream() {
        let hold = OutputLines.holdNanoseconds
        let text = lines { lines in
            lines.add(1, Array("Continue? ".utf8)[...], now: 1000)
            XCTAssertEqual(lines.releaseDue(now: 1000 + hold / 2), hold / 2)
            XCTAssertNil(lines.releaseDue(now: 1000 + hold))
            lines.add(1, Array("y\n".utf8)[...], now: 1000 + hold + 1)
            lines.add(1, Array("50%\r".utf8)[...], now: 1000 + hold + 2)
            XCTAssertNil(lines.releaseDue(now: 1000 + 3 * hold))
            lines.add(0, Array("done\n".utf8)[...], now: 1000 + 3 * hold + 1)
        }
        XCTAssertEqual(text, "Continue? y\n50%\r\ndone\n")
    }

    func testALongLineIsPassedOnWithoutItsEnd() {
        let long = [UInt8](repeating: UInt8(ascii: "x"), count: OutputLines.maxHeld)
        let text = lines { lines in
            lines.add(0, long[...], now: 1)
            lines.add(1, Array("err\n".utf8)[...], now: 2)
        }
        XCTAssertEqual(text, String(decoding: long, as: UTF8.self) + "\nerr\n")
    }
}

import XCTest
@testable import BuildChecks

final class VariableRulesTests: LintTestCase {
    func testUndefinedVar() throws {
        XCTAssertEqual(try messages("UndefinedVar", "FROM alpine\nARG bar=1\nCOPY $foo /x\n"),
                       ["Usage of undefined variable '$foo'"])
        XCTAssertEqual(try messages("UndefinedVar", "FROM alpine\nARG VERSION=1\nENV V=$VERSIO\n"),
                       ["Usage of undefined variable '$VERSIO' (did you mean $VERSION?)"])
    }

    func testDefinedVariablesAreQuiet() throws {
        let df = """
            ARG BASE=alpine
            FROM $BASE AS base
            ENV APP=/app
            FROM base
            ARG BASE
            ARG NAME
            ENV PATH=$PATH:/opt/bin
            WORKDIR $APP/$NAME
            LABEL base=$BASE
            RUN echo $UNDEFINED_IN_RUN_IS_THE_SHELLS_BUSINESS

            """
        XCTAssertEqual(try messages("UndefinedVar", df), [])
    }

    func testGlobalArgIsNotVisibleWithoutRedeclaring() throws {
        XCTAssertEqual(try messages("UndefinedVar", "ARG V=1\nFROM alpine\nENV X=$V\n"),
                       ["Usage of undefined variable '$V'"])
    }
}

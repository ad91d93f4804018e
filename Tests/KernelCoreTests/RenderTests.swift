import Testing
@testable import KernelCore

@Suite struct CommandRendererTests {
    let none = RenderContext()

    func render(_ body: String, _ args: [String], _ context: RenderContext = RenderContext()) -> String {
        CommandRenderer.render(body, arguments: args, context: context)
    }

    @Test func argumentsIsAllArgumentsJoinedBySpaces() {
        #expect(render("Fix: $ARGUMENTS.", ["issue", "42", "now"]) == "Fix: issue 42 now.")
    }

    @Test func argumentsTwice() {
        #expect(render("$ARGUMENTS / $ARGUMENTS", ["a", "b"]) == "a b / a b")
    }

    @Test func argumentsFollowedByWordCharacterStillExpands() {
        #expect(render("[$ARGUMENTSx]", ["a"]) == "[ax]")
    }

    @Test func indexedArguments() {
        #expect(render("first=$ARGUMENTS[0] second=$ARGUMENTS[1]", ["a", "b c"]) == "first=a second=b c")
        #expect(render("x$ARGUMENTS[01]y", ["a", "b"]) == "xby")
    }

    @Test func indexedArgumentOutOfRangeIsEmpty() {
        #expect(render("<$ARGUMENTS[1]>", ["only"]) == "<>")
        #expect(render("<$ARGUMENTS[99999999999999999999999]>", ["only"]) == "<>")
    }

    @Test func malformedIndexExpandsTheWholeStringAndKeepsTheBracket() {
        #expect(render("$ARGUMENTS[x]", ["a", "b"]) == "a b[x]")
        #expect(render("$ARGUMENTS[", ["a"]) == "a[")
        #expect(render("$ARGUMENTS[]", ["a"]) == "a[]")
        #expect(render("$ARGUMENTS[1", ["a", "b"]) == "a b[1")
    }

    @Test func dollarNIsZeroBased() {
        #expect(render("$0 $1", ["x", "y"]) == "x y")
        #expect(render("$1-$0", ["x", "y"]) == "y-x")
        #expect(render("($2)", ["x", "y"]) == "()")
    }

    @Test func dollarNUsesTheWholeDigitRun() {
        let args = (0...10).map { "a\($0)" }
        #expect(render("$10 $1", args) == "a10 a1")
        #expect(render("$10", ["a", "b"]) == "")
    }

    @Test func dollarNFollowedByWordCharacterStaysLiteral() {
        #expect(render("$1abc $1_x $0", ["x", "y"]) == "$1abc $1_x x")
    }

    @Test func dollarNAtEndAndBeforePunctuation() {
        #expect(render("cost: $0.", ["5"]) == "cost: 5.")
        #expect(render("$0", ["end"]) == "end")
    }

    @Test func otherDollarsAreCopied() {
        #expect(render("$$0 $ $x $ ${X}", ["a"]) == "$a $ $x $ ${X}")
        #expect(render("trailing $", ["a"]) == "trailing $\n\nARGUMENTS: a")
    }

    @Test func noEscape() {
        #expect(render(#"\$ARGUMENTS"#, ["a"]) == #"\a"#)
    }

    @Test func substitutedTextIsNotExpandedAgain() {
        let context = RenderContext(pluginRoot: "/p")
        #expect(render("$0|$ARGUMENTS", ["$1", "${CLAUDE_PLUGIN_ROOT}"], context)
                == "$1|$1 ${CLAUDE_PLUGIN_ROOT}")
    }

    @Test func fallbackAppendsArgumentsWhenNoPlaceholder() {
        #expect(render("Review the diff.", ["focus", "on", "tests"]) == "Review the diff.\n\nARGUMENTS: focus on tests")
    }

    @Test func noFallbackWhenOnlyAnIndexedPlaceholderIsUsed() {
        #expect(render("Only $1", ["a", "b"]) == "Only b")
        #expect(render("Only $ARGUMENTS[0]", ["a", "b"]) == "Only a")
    }

    @Test func literalDollarDigitWordDoesNotCountAsPlaceholder() {
        #expect(render("Use $1abc", ["a"]) == "Use $1abc\n\nARGUMENTS: a")
    }

    @Test func noArgumentsAndNoPlaceholdersLeavesBodyUnchanged() {
        let body = "Line one\n\n  Line two $ with ${UNKNOWN}\n"
        #expect(render(body, []) == body)
    }

    @Test func noArgumentsExpandsPlaceholdersToEmpty() {
        #expect(render("[$ARGUMENTS][$0][$ARGUMENTS[0]]", []) == "[][][]")
    }

    @Test func emptyArgumentStringDoesNotAppend() {
        #expect(render("body", [""]) == "body")
    }

    @Test func pluginVariablesBothSpellings() {
        let context = RenderContext(pluginRoot: "/opt/My Plugins/p", pluginData: "/data/p",
                                    projectDir: "/work/proj", sessionID: "s-123")
        let body = "${QODER_PLUGIN_ROOT}/a ${CLAUDE_PLUGIN_ROOT}/b ${QODER_PLUGIN_DATA} ${CLAUDE_PLUGIN_DATA} "
            + "${QODER_PROJECT_DIR} ${CLAUDE_PROJECT_DIR} ${QODER_SESSION_ID} ${CLAUDE_SESSION_ID}"
        #expect(render(body, [], context)
                == "/opt/My Plugins/p/a /opt/My Plugins/p/b /data/p /data/p /work/proj /work/proj s-123 s-123")
    }

    @Test func unknownContextValuesAndOtherNamesStayAsWritten() {
        let context = RenderContext(pluginRoot: "/p")
        #expect(render("${CLAUDE_PLUGIN_DATA} ${QODER_SESSION_ID} ${HOME} $CLAUDE_PLUGIN_ROOT ${CLAUDE_PLUGIN_ROOT}", [], context)
                == "${CLAUDE_PLUGIN_DATA} ${QODER_SESSION_ID} ${HOME} $CLAUDE_PLUGIN_ROOT /p")
    }

    @Test func pluginVariablesDoNotCountAsArgumentPlaceholders() {
        let context = RenderContext(pluginRoot: "/p")
        #expect(render("run ${CLAUDE_PLUGIN_ROOT}/x", ["a"], context) == "run /p/x\n\nARGUMENTS: a")
    }

    @Test func unterminatedAndNestedBracesInBody() {
        let context = RenderContext(pluginRoot: "/p")
        #expect(render("${CLAUDE_PLUGIN_ROOT", [], context) == "${CLAUDE_PLUGIN_ROOT")
        #expect(render("${X ${CLAUDE_PLUGIN_ROOT}}", [], context) == "${X /p}")
    }

    @Test func unicodeSurvives() {
        #expect(render("é $0 😀", ["ü"]) == "é ü 😀")
    }

    @Test func rawArgumentsKeepTheTypedTextForArgumentsAndSplitForIndices() {
        let out = CommandRenderer.render("all=[$ARGUMENTS] 0=[$0] 1=[$1]", rawArguments: "  \"a b\" c  ", context: none)
        #expect(out == "all=[\"a b\" c] 0=[a b] 1=[c]")
        #expect(CommandRenderer.render("body", rawArguments: "   ", context: none) == "body")
        #expect(CommandRenderer.render("body", rawArguments: " x 'y z' ", context: none) == "body\n\nARGUMENTS: x 'y z'")
    }
}

@Suite struct SplitArgumentsTests {
    func split(_ s: String) -> [String] { CommandRenderer.splitArguments(s) }

    @Test func whitespace() {
        #expect(split("a  b\tc\nd\r\ne") == ["a", "b", "c", "d", "e"])
        #expect(split("") == [])
        #expect(split("  \t ") == [])
    }

    @Test func quotesGroup() {
        #expect(split(#"one "two three" 'four five'"#) == ["one", "two three", "four five"])
    }

    @Test func adjacentPartsJoin() {
        #expect(split(#"a"b c"d'e f'g"#) == ["ab cde fg"])
    }

    @Test func emptyQuotesGiveEmptyArgument() {
        #expect(split(#"a "" '' b"#) == ["a", "", "", "b"])
    }

    @Test func singleQuotesAreLiteral() {
        #expect(split(#"'a\"b' 'c\d'"#) == [#"a\"b"#, #"c\d"#])
        #expect(split(#"'say "hi"'"#) == [#"say "hi""#])
    }

    @Test func backslashInsideDoubleQuotes() {
        #expect(split(#""a\"b" "c\\d" "\$x" "C:\dir""#) == [#"a"b"#, #"c\d"#, "$x", #"C:\dir"#])
        #expect(split(#""it's""#) == ["it's"])
    }

    @Test func backslashOutsideQuotes() {
        #expect(split(#"a\ b c\"d \'e"#) == ["a b", #"c"d"#, "'e"])
        #expect(split("a\\\nb") == ["ab"])
    }

    @Test func lenientWithBadInput() {
        #expect(split(#"a "b c"#) == ["a", "b c"])
        #expect(split("a 'b c") == ["a", "b c"])
        #expect(split(#"a \"#) == ["a", #"\"#])
        #expect(split(#"\"#) == [#"\"#])
    }
}

@Suite struct VariableExpanderTests {
    func expand(_ s: String, _ env: [String: String]) -> (result: String, missing: [String]) {
        VariableExpander.expand(s, environment: env)
    }

    @Test func bracedVariable() {
        let r = expand("Bearer ${TOKEN}", ["TOKEN": "abc"])
        #expect(r.result == "Bearer abc")
        #expect(r.missing.isEmpty)
    }

    @Test func severalAndAdjacent() {
        let r = expand("${A}${B}/${A}", ["A": "x", "B": "y"])
        #expect(r.result == "xy/x")
        #expect(r.missing.isEmpty)
    }

    @Test func emptyValueIsAValue() {
        let r = expand("[${E}]", ["E": ""])
        #expect(r.result == "[]")
        #expect(r.missing.isEmpty)
    }

    @Test func bareDollarIsNotExpanded() {
        let r = expand("$HOME and $A", ["HOME": "/h", "A": "a"])
        #expect(r.result == "$HOME and $A")
        #expect(r.missing.isEmpty)
    }

    @Test func defaultUsedWhenUnsetOrEmpty() {
        #expect(expand("${PORT:-8080}", [:]) == ("8080", []))
        #expect(expand("${PORT:-8080}", ["PORT": ""]) == ("8080", []))
        #expect(expand("${PORT:-8080}", ["PORT": "9"]) == ("9", []))
    }

    @Test func defaultWithSpacesAndDollar() {
        #expect(expand("${GREETING:-hello big world} !", [:]) == ("hello big world !", []))
        #expect(expand("${P:-$HOME/x}", ["HOME": "/h"]) == ("$HOME/x", []))
    }

    @Test func emptyDefault() {
        #expect(expand("[${X:-}]", [:]) == ("[]", []))
    }

    @Test func defaultEndsAtFirstBraceAndIsNotExpanded() {
        #expect(expand("${A:-${B}}", ["B": "b"]) == ("${B}", []))
        #expect(expand("${A:-x}y}", [:]) == ("xy}", []))
    }

    @Test func missingIsLeftAsWrittenAndListedOnceInOrder() {
        let r = expand("${B} ${A} ${B} ${C:-c} ${D}", ["D": "d"])
        #expect(r.result == "${B} ${A} ${B} c d")
        #expect(r.missing == ["B", "A"])
    }

    @Test func invalidNamesStayLiteralAndAreNotMissing() {
        let r = expand("${} ${1X} ${A-b} ${A:=b} ${A B} ${A.B} ${-x}", [:])
        #expect(r.result == "${} ${1X} ${A-b} ${A:=b} ${A B} ${A.B} ${-x}")
        #expect(r.missing.isEmpty)
    }

    @Test func validNameCharacters() {
        #expect(expand("${_a1_B}", ["_a1_B": "ok"]) == ("ok", []))
    }

    @Test func unterminated() {
        let r = expand("x ${HOME", ["HOME": "/h"])
        #expect(r.result == "x ${HOME")
        #expect(r.missing.isEmpty)
        #expect(expand("$", [:]) == ("$", []))
        #expect(expand("${", [:]) == ("${", []))
    }

    @Test func invalidOuterDoesNotHideInnerReference() {
        let r = expand("${X ${HOME}} ${Y ${NOPE}", ["HOME": "/h"])
        #expect(r.result == "${X /h} ${Y ${NOPE}")
        #expect(r.missing == ["NOPE"])
    }

    @Test func valueIsNotExpandedAgain() {
        #expect(expand("${A}", ["A": "${B}", "B": "b"]) == ("${B}", []))
    }

    @Test func unicodeAroundReferences() {
        #expect(expand("é${A}😀", ["A": "ü"]) == ("éü😀", []))
    }
}

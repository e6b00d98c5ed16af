import MCPWatchCore
import Testing

@Suite struct JSONCParserTests {
    private func parse(_ text: String, _ dialect: JSONCParser.Dialect = .json) throws -> JSONCNode {
        try JSONCParser.parse(Array(text.utf8), dialect: dialect)
    }

    private func slice(_ text: String, _ range: Range<Int>) -> String {
        String(decoding: Array(text.utf8)[range], as: UTF8.self)
    }

    @Test func valuesKeepTheirRanges() throws {
        let text = #" {"a" : [1, -2.5e+3, true, null], "b": {"c": "x\"\u00e9\ud83d\ude00\n"}} "#
        let root = try parse(text)
        #expect(slice(text, root.range) == #"{"a" : [1, -2.5e+3, true, null], "b": {"c": "x\"\u00e9\ud83d\ude00\n"}}"#)
        let a = try #require(root.member("a"))
        #expect(slice(text, a.keyRange) == #""a""#)
        #expect(a.value.elements?.map { slice(text, $0.range) } == ["1", "-2.5e+3", "true", "null"])
        #expect(a.value.elements?[2].value == .bool(true))
        let c = try #require(root["b"]?["c"])
        #expect(c.string == "x\"é😀\n")
        #expect(slice(text, c.range) == #""x\"\u00e9\ud83d\ude00\n""#)
    }

    @Test func theLastOfRepeatedKeysCountsAsJavaScriptReadsIt() throws {
        #expect(try parse(#"{"a": 1, "a": "two"}"#)["a"]?.string == "two")
    }

    @Test func jsoncAllowsCommentsAndTrailingCommasAndJSONDoesNot() throws {
        let text = """
            // top
            {
              /* block
                 comment */ "a": [1, 2,], // after
              "b": "// not a comment",
            }
            """
        let root = try parse(text, .jsonc)
        #expect(root["a"]?.elements?.count == 2)
        #expect(root["b"]?.string == "// not a comment")
        #expect(throws: WatchError(.invalidArgument, "line 1, column 1: a comment, which JSON does not allow (only VS Code's mcp.json is JSONC)")) { try parse(text) }
        #expect(throws: WatchError(.invalidArgument, "line 1, column 6: a trailing comma, which JSON does not allow")) { try parse(#"[1, 2, ]"#) }
        #expect(throws: WatchError.self) { try parse("{} /* open", .jsonc) }
    }

    @Test func malformedTextIsRefusedWithItsLineAndColumn() {
        let bad: [(String, String)] = [
            ("", "line 1, column 1: unexpected end of the text, expected a value"),
            ("{\n  \"a\": 01\n}", "line 2, column 9: expected ',' or '}' after a member"),
            ("{\"a\" 1}", "line 1, column 6: expected ':' after the key \"a\""),
            ("{a: 1}", "line 1, column 2: expected a key in double quotes"),
            ("[1 2]", "line 1, column 4: expected ',' or ']' after an element"),
            ("\"tab\there\"", "line 1, column 5: a control character in a string (write it as an escape)"),
            ("\"\\x\"", "line 1, column 2: an unknown escape '\\x' in a string"),
            ("[1.]", "line 1, column 4: a malformed number"),
            ("{} {}", "line 1, column 4: unexpected text after the end of the JSON value"),
            ("[tru]", "line 1, column 2: unexpected character, expected a value"),
            ("{\"a\": [1, 2", "line 1, column 7: an array that is never closed"),
            ("\"\\ud800\"", "line 1, column 8: an unpaired surrogate in a \\u escape"),
        ]
        for (text, message) in bad {
            #expect(throws: WatchError(.invalidArgument, message), "\(text)") { try parse(text) }
        }
        #expect(throws: WatchError.self) { try JSONCParser.parse([0x22, 0xFF, 0x22], dialect: .json) }
        #expect(throws: WatchError.self) { try parse(String(repeating: "[", count: 600) + String(repeating: "]", count: 600)) }
    }

    @Test func aByteOrderMarkIsSkipped() throws {
        let root = try JSONCParser.parse([0xEF, 0xBB, 0xBF] + Array(#"{"a":1}"#.utf8), dialect: .json)
        #expect(root.range == 3..<10)
    }
}

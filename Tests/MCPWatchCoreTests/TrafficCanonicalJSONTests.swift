import Foundation
import Testing
@testable import MCPWatchCore

@Suite struct TrafficCanonicalJSONTests {
    @Test(arguments: [
        // Key order and whitespace.
        (#" { "b" : 1 , "a" : [ 1 , 2 ] } "#, #"{"a":[1,2],"b":1}"#),
        // Nested objects are sorted too; arrays keep their order.
        (#"{"z":{"y":{"b":true,"a":null}},"a":[{"d":1,"c":2}]}"#, #"{"a":[{"c":2,"d":1}],"z":{"y":{"a":null,"b":true}}}"#),
        // Unicode escapes read as the characters they stand for; a surrogate pair is one character.
        (#"{"k":"caf\u00e9 \ud83d\ude00"}"#, #"{"k":"café 😀"}"#),
        (#"{"caf\u00e9":1,"cafe":2}"#, #"{"cafe":2,"café":1}"#),
        // Needless escapes go, needed ones stay in one form.
        (#"{"s":"a\/b\"c\\d\n\u0001\b"}"#, #"{"s":"a/b\"c\\d\n\u0001\u0008"}"#),
        // A lone surrogate stays an escape (it is not U+FFFD).
        (#"["\uD800x"]"#, #"["\ud800x"]"#),
        // Numbers: integers as written, others as their double.
        (#"[1.0, 1e0, 10E-1, -0, -0.0, 0.1, 1.5e300, 123456789012345678901234567890, 2.5, 1e2]"#,
         #"[1,1,1,0,0,0.1,1.5e+300,123456789012345678901234567890,2.5,100]"#),
        // A repeated key keeps its last value.
        (#"{"a":1,"a":2}"#, #"{"a":2}"#),
        (#"[]"#, #"[]"#), (#"{}"#, #"{}"#), (#""x""#, #""x""#),
    ])
    func canonicalForms(input: String, expected: String) {
        #expect(CanonicalJSON.canonical(input) == expected)
    }

    @Test(arguments: [#"{"a":}"#, #"{"a":1,}"#, #"[1 2]"#, #"01"#, #"1."#, #"tru"#, #""\x""#, #""\u12"#, "\"a\u{01}b\"", #"{"a":1} x"#, ""])
    func rejectsInvalidJSON(input: String) {
        #expect(CanonicalJSON.canonical(input) == nil)
    }

    @Test func droppingTopLevelMetaOnly() {
        let params = Array(#"{"name":"t","_meta":{"progressToken":1},"arguments":{"_meta":"kept","x":1}}"#.utf8)
        let canonical = CanonicalJSON.canonical(params, droppingTopLevelKeys: ["_meta"]).map { String(decoding: $0, as: UTF8.self) }
        #expect(canonical == #"{"arguments":{"_meta":"kept","x":1},"name":"t"}"#)
    }

    @Test func sameValueWrittenDifferentlyGivesTheSameText() throws {
        let a = CanonicalJSON.canonical(#"{"q":"\u0068i","n":[1.0,{"y":2,"x":1}]}"#)
        let b = CanonicalJSON.canonical("{\n  \"n\": [1, {\"x\": 1, \"y\": 2.0}],\n  \"q\": \"hi\"\n}")
        #expect(a != nil && a == b)
        // And it is JSON that JSONSerialization reads back to the same value.
        let decoded = try JSONSerialization.jsonObject(with: Data(try #require(a).utf8)) as? [String: Any]
        #expect(decoded?["q"] as? String == "hi")
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(CanonicalJSON.canonical(deep) == nil)
    }
}

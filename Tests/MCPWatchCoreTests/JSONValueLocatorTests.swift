import MCPWatchCore
import Testing

@Suite struct JSONValueLocatorTests {
    private func text(_ json: String, _ range: Range<Int>?) -> String? {
        range.map { String(decoding: Array(json.utf8)[$0], as: UTF8.self) }
    }

    private func idAndMethod(_ json: String) -> (id: String?, method: String?)? {
        Array(json.utf8).withUnsafeBytes { bytes in
            JSONValueLocator.idAndMethod(in: bytes).map { (text(json, $0.id), text(json, $0.method)) }
        }
    }

    @Test func findsIdAndMethodWhereverTheyAre() {
        #expect(idAndMethod(#"{"jsonrpc":"2.0","id":12,"method":"tools/call","params":{"id":99}}"#)! == ("12", #""tools/call""#))
        // After a large nested value, and with string ids and whitespace.
        #expect(idAndMethod(#" { "result" : {"method":"x","id":[1,{"id":2}]} , "id" : "a\"b" } "#)! == (#""a\"b""#, nil))
        #expect(idAndMethod(#"{"method":"notifications/initialized"}"#)! == (nil, #""notifications/initialized""#))
        #expect(idAndMethod("[1,2]") == nil)
        #expect(idAndMethod("") == nil)
        // Truncated or broken input gives what was found, never a crash.
        #expect(idAndMethod(#"{"id":5,"result":{"content":[{"text":"abc"#)!.id == "5")
        #expect(idAndMethod(#"{"id""#)! == (nil, nil))
    }

    @Test func splitsABatchIntoItsElements() {
        let batch = #"[ {"id":1,"method":"a"} , {"method":"b","params":[1,2]},{"id":"x","result":"]"} ]"#
        let elements = Array(batch.utf8).withUnsafeBytes { JSONValueLocator.elementRanges(in: $0) }
        #expect(elements?.map { text(batch, $0)! } == [#"{"id":1,"method":"a"}"#, #"{"method":"b","params":[1,2]}"#, #"{"id":"x","result":"]"}"#])
        #expect(Array("[]".utf8).withUnsafeBytes { JSONValueLocator.elementRanges(in: $0) } == [])
        #expect(Array(#"{"id":1}"#.utf8).withUnsafeBytes { JSONValueLocator.elementRanges(in: $0) } == nil)
        #expect(Array("[1,2".utf8).withUnsafeBytes { JSONValueLocator.elementRanges(in: $0) } == nil)
    }

    @Test func replacesARangeKeepingEverythingElse() {
        let json = #"{"id":"client-7","method":"ping"}"#
        let out = Array(json.utf8).withUnsafeBytes { bytes in
            JSONValueLocator.replacing(JSONValueLocator.idAndMethod(in: bytes)!.id!, in: bytes, with: Array("42".utf8), newline: true)
        }
        #expect(String(decoding: out, as: UTF8.self) == "{\"id\":42,\"method\":\"ping\"}\n")
    }
}

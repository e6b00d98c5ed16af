import Foundation
import Testing
@testable import MCPWatchBench
import MCPWatchCore

@Suite struct BenchServerTests {
    let path = ["params", "arguments", "text"]

    @Test func findsTheRawEchoText() {
        let line = #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"a\"b\\c\u00e9 é"}}}"#
        #expect(JSONValueLocator.rawValue(at: path, in: line) == #""a\"b\\c\u00e9 é""#)
    }

    @Test func skipsEverythingBeforeTheText() {
        let line = #"""
            { "params" : { "meta": {"text": "no", "l": [1, {"text": "no"}, "]}"]}, "arguments" : { "n": -1.5e3, "ok": true, "z": null, "text" : "yes" } }, "id": 2 }
            """#
        #expect(JSONValueLocator.rawValue(at: path, in: line) == #""yes""#)
    }

    @Test func returnsOtherValuesRawToo() {
        #expect(JSONValueLocator.rawValue(at: path, in: #"{"params":{"arguments":{"text":{"a":[1,2]}}}}"#) == #"{"a":[1,2]}"#)
        #expect(JSONValueLocator.rawValue(at: path, in: #"{"params":{"arguments":{"text":42}}}"#) == "42")
        #expect(JSONValueLocator.rawValue(at: ["a"], in: #"{"a":false}"#) == "false")
    }

    @Test(arguments: [
        #"{"params":{"arguments":{}}}"#, #"{"params":{"arguments":[]}}"#, #"{"params":{}}"#, #"{"id":1}"#, "[]", "",
        #"{"params":{"arguments":{"te\u0078t":"escaped key"}}}"#, #"{"params":{"arguments":{"text""#, #"{"params":{"arguments":{"text":"unterminated"#,
    ])
    func findsNothingWhereThereIsNoText(line: String) {
        let found = JSONValueLocator.rawValue(at: path, in: line)
        #expect(found == nil)
    }

    func call(_ tool: String, _ arguments: String, id: String = "7") -> String {
        #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"\#(tool)","arguments":\#(arguments)}}"#
    }

    @Test func echoesTheTextByteForByte() {
        #expect(BenchServer.response(to: call("echo", #"{"text":"h\"i\n\u2028"}"#, id: #""s-1""#))
            == #"{"jsonrpc":"2.0","id":"s-1","result":{"content":[{"type":"text","text":"h\"i\n\u2028"}]}}"#)
        #expect(BenchServer.response(to: call("echo", "{}")) == #"{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":""}]}}"#)
    }

    @Test func answersToolsAndErrors() throws {
        #expect(BenchServer.response(to: call("noop", "{}")) == #"{"jsonrpc":"2.0","id":7,"result":{"content":[]}}"#)
        #expect(BenchServer.response(to: call("echo", #"{"text":5}"#))?.contains(#""isError":true"#) == true)
        #expect(BenchServer.response(to: call("nope", "{}"))
            == #"{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"unknown tool: nope"}],"isError":true}}"#)
        #expect(BenchServer.response(to: #"{"jsonrpc":"2.0","id":3,"method":"resources/list"}"#)
            == #"{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"Method not found: resources/list"}}"#)
        #expect(BenchServer.response(to: #"{"jsonrpc":"2.0","id":4,"method":"ping"}"#) == #"{"jsonrpc":"2.0","id":4,"result":{}}"#)
        #expect(BenchServer.response(to: #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#) == nil)
        #expect(BenchServer.response(to: "{oops")?.contains("-32700") == true)
        let list = try #require(BenchServer.response(to: #"{"jsonrpc":"2.0","id":5,"method":"tools/list"}"#))
        let tools = try #require(((try JSONSerialization.jsonObject(with: Data(list.utf8)) as? [String: Any])?["result"] as? [String: Any])?["tools"] as? [[String: Any]])
        #expect(tools.compactMap { $0["name"] as? String } == ["echo", "noop"])
    }

    @Test(arguments: [("2025-03-26", "2025-03-26"), ("2024-11-05", "2024-11-05"), ("2099-01-01", "2025-11-25"), (nil, "2025-11-25")])
    func negotiatesTheProtocolVersion(asked: String?, answered: String) throws {
        let params = asked.map { #"{"protocolVersion":"\#($0)","capabilities":{},"clientInfo":{"name":"t","version":"1"}}"# } ?? "{}"
        let response = try #require(BenchServer.response(to: #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":\#(params)}"#))
        let result = try #require((try JSONSerialization.jsonObject(with: Data(response.utf8)) as? [String: Any])?["result"] as? [String: Any])
        #expect(result["protocolVersion"] as? String == answered)
        #expect((result["serverInfo"] as? [String: Any])?["name"] as? String == "mcpwatch-bench-server")
        #expect((result["capabilities"] as? [String: Any])?["tools"] != nil)
    }
}

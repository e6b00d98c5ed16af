import Testing
@testable import MCPWatchCore

@Suite struct MessageInspectorTests {
    func inspect(_ text: String) -> InspectedFrame {
        var inspector = MessageInspector()
        return inspector.inspect(text)
    }

    func message(_ text: String) throws -> MessageInfo {
        guard case .message(let info) = inspect(text) else {
            Issue.record("not a message: \(inspect(text))")
            throw CancellationError()
        }
        return info
    }

    @Test func toolCallRequest() throws {
        let info = try message(#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"get_time","arguments":{"tz":"UTC","name":"nested"}}}"#)
        #expect(info.kind == .request)
        #expect(info.id == RequestID(json: "7"))
        #expect(info.method == "tools/call")
        #expect(info.paramsName == "get_time")
        #expect(info.target == "get_time")
    }

    @Test func fieldsInAnyOrderAndStringIDs() throws {
        let info = try message(#"  { "params" : { "uri" : "file:///a b.txt" } , "method":"resources/read", "id" : "abc-1", "jsonrpc":"2.0" }  "#)
        #expect(info.kind == .request)
        #expect(info.id == RequestID(json: #""abc-1""#))
        #expect(info.target == "file:///a b.txt")
        #expect(RequestID(json: "1") != RequestID(json: #""1""#))
    }

    @Test func notificationAndCancellation() throws {
        let info = try message(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":12,"reason":"user"}}"#)
        #expect(info.kind == .notification)
        #expect(info.cancelledRequestID == RequestID(json: "12"))
    }

    @Test func errorResponse() throws {
        let info = try message(#"{"jsonrpc":"2.0","id":3,"error":{"code":-32602,"message":"Invalid params: \"x\" missing","data":{"k":[1,2]}}}"#)
        #expect(info.kind == .error)
        #expect(info.errorCode == -32602)
        #expect(info.errorMessage == #"Invalid params: "x" missing"#)
    }

    @Test func toolErrorResultReadsFirstText() throws {
        let info = try message(#"{"jsonrpc":"2.0","id":4,"result":{"content":[{"type":"text","text":"boom \u00e9\ud83d\ude00"},{"type":"text","text":"second"}],"isError":true}}"#)
        #expect(info.kind == .result)
        #expect(info.isToolError)
        #expect(info.toolErrorText == "boom é😀")
    }

    @Test func successfulResultDoesNotDecodeText() throws {
        let info = try message(#"{"jsonrpc":"2.0","id":4,"result":{"content":[{"type":"text","text":"fine"}],"isError":false}}"#)
        #expect(!info.isToolError)
        #expect(info.toolErrorText == nil)
    }

    @Test func idAfterLargeResult() throws {
        let big = String(repeating: "x", count: 2_000_000)
        let info = try message(#"{"jsonrpc":"2.0","result":{"content":[{"type":"text","text":""# + big + #""}]},"id":99}"#)
        #expect(info.kind == .result)
        #expect(info.id == RequestID(json: "99"))
    }

    @Test func batch() {
        let frame = inspect(#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/initialized"},5]"#)
        guard case .batch(let items) = frame else {
            Issue.record("expected a batch, got \(frame)")
            return
        }
        #expect(items.count == 3)
        #expect(items[0].kind == .request)
        #expect(items[1].kind == .notification)
        #expect(items[2].kind == .invalid)
    }

    @Test(arguments: [
        ("not json at all", AnomalyKind.invalidJSON),
        ("{\"id\":1,", .invalidJSON),
        ("{\"id\":1}}", .invalidJSON),
        ("42", .notObjectOrBatch),
        ("\"text\"", .notObjectOrBatch),
        ("[]", .emptyBatch),
        ("{\"a\":tru}", .invalidJSON),
        ("{\"a\":01}", .invalidJSON),
        ("{\"a\":\"\\x\"}", .invalidJSON),
        ("{\"a\":\"tab\there\"}", .invalidJSON),
    ])
    func invalidFrames(text: String, kind: AnomalyKind) {
        #expect(inspect(text) == .invalid(kind))
    }

    @Test func invalidUTF8() {
        var inspector = MessageInspector()
        for bytes: [UInt8] in [
            Array(#"{"method":"a"#.utf8) + [0xFF] + Array(#""}"#.utf8),
            Array(#"{"method":"a"#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8),  // overlong
            Array(#"{"method":"a"#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8),  // surrogate
        ] {
            #expect(inspector.inspect(bytes) == .invalid(.invalidUTF8))
        }
        #expect(inspector.inspect(Array(#"{"method":"é😀"}"#.utf8)) != .invalid(.invalidUTF8))
    }

    @Test func objectWithoutMethodOrResultIsInvalidMessage() throws {
        #expect(try message(#"{"jsonrpc":"2.0","id":1}"#).kind == .invalid)
        #expect(try message(#"{"foo":1}"#).kind == .invalid)
    }

    @Test func emptyAndWhitespace() {
        #expect(inspect("") == .empty)
        #expect(inspect("  \r") == .empty)
    }

    @Test func longNamesAreTruncatedOnCharacterBoundary() throws {
        let name = String(repeating: "é", count: 400)
        let info = try message(#"{"id":1,"method":"tools/call","params":{"name":""# + name + #""}}"#)
        let kept = try #require(info.paramsName)
        #expect(kept.utf8.count <= MessageInspector.maxTextBytes)
        #expect(kept.allSatisfy { $0 == "é" })
    }

    @Test func truncatedPrefixStillYieldsID() {
        var inspector = MessageInspector()
        let prefix = Array(#"{"jsonrpc":"2.0","id":"big-1","method":"tools/call","params":{"name":"upload","arguments":{"data":"AAAA"#.utf8)
        guard case .message(let info) = inspector.inspect(prefix, truncated: true) else {
            Issue.record("expected a partial message")
            return
        }
        #expect(info.id == RequestID(json: #""big-1""#))
        #expect(info.kind == .request)
        #expect(info.target == "upload")
    }

    @Test func deepNestingIsBoundedNotRecursive() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(inspect(#"{"params":"# + deep + "}") == .invalid(.invalidJSON))
        let ok = String(repeating: "[", count: 1_000) + String(repeating: "]", count: 1_000)
        #expect(inspect(#"{"id":1,"result":"# + ok + "}") != .invalid(.invalidJSON))
    }
}

@Suite struct MessageInspectorEdgeTests {
    @Test(arguments: ["1e999", "-1e999", "12345678901234567890123", "-32602.0"])
    func oddErrorCodesNeverTrap(code: String) {
        var inspector = MessageInspector()
        let frame = inspector.inspect(#"{"jsonrpc":"2.0","id":1,"error":{"code":"# + code + #","message":"m"}}"#)
        guard case .message(let info) = frame else {
            Issue.record("expected a message")
            return
        }
        #expect(info.kind == .error)
        #expect(code != "-32602.0" || info.errorCode == -32602)
    }
}

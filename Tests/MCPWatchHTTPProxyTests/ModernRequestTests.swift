import HTTPTypes
import MCPWatchCore
import Testing
@testable import MCPWatchHTTPProxy

/// What the stdio front sends with a 2026-07-28 request, and what it reads back, as pure functions.
@Suite struct ModernRequestTests {
    private func line(_ text: String) -> [UInt8] { Array((text + "\n").utf8) }

    private let meta = #""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#

    @Test func aModernToolCallCarriesItsVersionMethodAndName() throws {
        let request = try #require(ModernRequest(line: line(#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get_weather","arguments":{},\#(meta)}}"#)))
        #expect(request == ModernRequest(method: "tools/call", protocolVersion: "2026-07-28", name: "get_weather"))
        #expect(request.headers.map { "\($0.0): \($0.1)" } == ["MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/call", "Mcp-Name: get_weather"])
    }

    @Test func resourcesReadNamesItsURIAndAListNamesNothing() throws {
        let read = try #require(ModernRequest(line: line(#"{"jsonrpc":"2.0","id":"r","method":"resources/read","params":{"uri":"file:///a b.txt",\#(meta)}}"#)))
        #expect(read.name == "file:///a b.txt")
        let list = try #require(ModernRequest(line: line(#"{"jsonrpc":"2.0","id":4,"method":"tools/list","params":{\#(meta)}}"#)))
        #expect(list.name == nil)
        #expect(list.headers.count == 2)
    }

    @Test func discoverIsModernEvenWithoutAVersionAndTheOlderEraIsNot() throws {
        let discover = try #require(ModernRequest(line: line(#"{"jsonrpc":"2.0","id":1,"method":"server/discover"}"#)))
        #expect(discover.protocolVersion == ModernRequest.latestVersion)
        #expect(ModernRequest(line: line(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}}"#)) == nil)
        #expect(ModernRequest(line: line(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2025-11-25"}}}"#)) == nil)
        #expect(ModernRequest(line: line(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1,\#(meta)}}"#)) == nil)
        #expect(ModernRequest(line: line(#"{"jsonrpc":"2.0","id":1,"result":{}}"#)) == nil)
        #expect(ModernRequest.isModern("2026-07-28"))
        #expect(ModernRequest.isModern("2027-01-01"))
        #expect(!ModernRequest.isModern("2025-11-25"))
        #expect(!ModernRequest.isModern("draft"))
    }

    @Test func aNameOutsideTheSafeSetIsBase64() throws {
        #expect(ModernRequest.headerValue("us-west1") == "us-west1")
        #expect(ModernRequest.headerValue("Hello, 世界") == "=?base64?SGVsbG8sIOS4lueVjA==?=")
        #expect(ModernRequest.headerValue(" padded ") == "=?base64?IHBhZGRlZCA=?=")
        #expect(ModernRequest.headerValue("line1\nline2") == "=?base64?bGluZTEKbGluZTI=?=")
        #expect(ModernRequest.headerValue("=?base64?literal?=") == "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=")
        let escaped = try #require(ModernRequest(line: line(#"{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"caf\u00e9",\#(meta)}}"#)))
        #expect(escaped.name == "café")
        #expect(escaped.headers.last?.1 == "=?base64?Y2Fmw6k=?=")
    }

    @Test func toolParametersMarkedForHeadersAreMirroredFromTheArguments() {
        var table = ToolParamHeaders()
        let list = #"{"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"execute_sql","inputSchema":{"type":"object","properties":{"region":{"type":"string","x-mcp-header":"Region"},"opts":{"type":"object","properties":{"dry":{"type":"boolean","x-mcp-header":"Dry"}}},"limit":{"type":"integer","x-mcp-header":"Limit"},"query":{"type":"string"},"list":{"type":"array","items":{"type":"string","x-mcp-header":"Never"}}}}},{"name":"plain","inputSchema":{"type":"object"}}]}}"#
        table.learn(fromResult: line(list))
        let call = #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"execute_sql","arguments":{"region":"us-west1","opts":{"dry":true},"limit":42,"query":"SELECT 1"}}}"#
        let headers = table.headers(forCall: line(call)).map { "\($0.0): \($0.1)" }
        #expect(Set(headers) == ["Mcp-Param-Region: us-west1", "Mcp-Param-Dry: true", "Mcp-Param-Limit: 42"])
        // A value that is absent (or null) gives no header; a tool that marks nothing gives none.
        let partial = #"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"execute_sql","arguments":{"region":null,"limit":7}}}"#
        #expect(table.headers(forCall: line(partial)).map { "\($0.0): \($0.1)" } == ["Mcp-Param-Limit: 7"])
        #expect(table.headers(forCall: line(#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"plain","arguments":{}}}"#)).isEmpty)
        // A later list without the marks forgets them.
        table.learn(fromResult: line(#"{"jsonrpc":"2.0","id":6,"result":{"tools":[{"name":"execute_sql","inputSchema":{"type":"object","x-mcp-header":"x"}}]}}"#))
        #expect(table.isEmpty)
    }

    @Test func anHTTPErrorsJSONRPCBodyGetsTheRequestsId() throws {
        let id = JSONRPCID(7)
        let withNull = try #require(StdioToHTTPRelay.errorLine(line(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32022,"message":"Unsupported protocol version","data":{"supported":["2026-07-28"]}}}"#), id: id))
        #expect(String(decoding: withNull, as: UTF8.self) == #"{"jsonrpc":"2.0","id":7,"error":{"code":-32022,"message":"Unsupported protocol version","data":{"supported":["2026-07-28"]}}}"# + "\n")
        let withoutID = try #require(StdioToHTTPRelay.errorLine(line(#"{"jsonrpc":"2.0","error":{"code":-32600,"message":"Bad Request: Missing session ID"}}"#), id: JSONRPCID(json: "\"a\"")))
        #expect(String(decoding: withoutID, as: UTF8.self) == #"{"id":"a","jsonrpc":"2.0","error":{"code":-32600,"message":"Bad Request: Missing session ID"}}"# + "\n")
        #expect(StdioToHTTPRelay.errorLine(line(#"{"jsonrpc":"2.0","id":1,"result":{}}"#), id: id) == nil)
        #expect(StdioToHTTPRelay.errorLine(line("not json"), id: id) == nil)
    }

    @Test func theBridgeGivesAModernErrorTheStatusOfItsCode() {
        func status(_ code: Int) -> HTTPResponse.Status? {
            StdioBridge.modernStatus(ofError: Array(#"{"jsonrpc":"2.0","id":1,"error":{"code":\#(code),"message":"m"}}"#.utf8))
        }
        #expect(status(-32022) == .badRequest)
        #expect(status(-32020) == .badRequest)
        #expect(status(-32602) == .badRequest)
        #expect(status(-32601) == .notFound)
        #expect(status(-32603) == nil)
        #expect(StdioBridge.modernStatus(ofError: Array(#"{"jsonrpc":"2.0","id":1,"result":{}}"#.utf8)) == nil)
    }
}

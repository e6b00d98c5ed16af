import Testing

import MCPWatchCore
@testable import MCPWatchBench

@Suite struct HTTPBenchRunnerTests {
    @Test func sseDataIsSplitIntoEvents() {
        let body = Array("event: message\r\nid: 1\r\ndata: {\"a\":1}\r\n\r\n: comment\n\ndata: {\"b\":\ndata: 2}\n\ndata:{\"c\":3}".utf8)
        let events = HTTPBenchRunner.sseData(body).map { String(decoding: $0, as: UTF8.self) }
        #expect(events == [#"{"a":1}"#, "{\"b\":\n2}", #"{"c":3}"#])
    }

    @Test func requestIDsAreReadFromTheRequestLine() {
        #expect(HTTPBenchRunner.id(of: Array(#"{"jsonrpc":"2.0","method":"tools/call","params":{"name":"echo"},"id":42}"#.utf8)) == 42)
        #expect(HTTPBenchRunner.id(of: Array(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.utf8)) == nil)
    }

    @Test func aURLThatIsNotHTTPIsRefused() throws {
        let configuration = try BenchConfiguration(mix: try ToolMix.single(tool: "echo", argumentsJSON: "{}"))
        #expect(throws: WatchError.self) { try HTTPBenchRunner(configuration: configuration, url: "ftp://x/mcp") }
    }
}

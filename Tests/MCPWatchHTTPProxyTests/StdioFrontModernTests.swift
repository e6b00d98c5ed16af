import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MCPWatchCore
import NIOCore
import NIOPosix
import Synchronization
import Testing
@testable import MCPWatchHTTPProxy

/// The stdio front with a 2026-07-28 client, against an in-process Streamable HTTP server that logs the headers of
/// each POST: `slow` is answered only when the test lets it (never, here: its client cancels it), anything else at once.
@Suite struct StdioFrontModernTests {
    private static let meta = #""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#

    @Test(.timeLimit(.minutes(1))) func modernRequestsGoWithoutASessionAndACancelledOneGetsNoAnswer() async throws {
        let log = Mutex<[String]>([])
        let (hold, release) = AsyncStream.makeStream(of: Void.self)
        let router = Router()
        router.post("/mcp") { request, _ -> Response in
            var request = request
            let body = String(buffer: try await request.collectBody(upTo: 1 << 20))
            let headers = ["MCP-Protocol-Version", "Mcp-Method", "Mcp-Name", "Mcp-Session-Id"].map { name in
                request.headers[HTTPField.Name(name)!].map { "\(name)=\($0)" } ?? "-"
            }
            log.withLock { $0.append(headers.joined(separator: " ")) }
            let id = body.contains(#""id":3"#) ? 3 : 2
            if body.contains(#""slow""#) { for await _ in hold { break } }
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"jsonrpc":"2.0","id":\#(id),"result":{"content":[]}}"#)))
        }
        let store = MetricsStore()
        let lines = [
            #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"slow","arguments":{},\#(Self.meta)}}"#,
            // At once: the cancellation may be read before the POST of id 2 has begun, or after; either way.
            #"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":2}}"#,
            #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"fast","arguments":{},\#(Self.meta)}}"#,
        ]
        var input: [Int32] = [0, 0]
        var output: [Int32] = [0, 0]
        // Ends no child inherits (the bridge's tests start servers meanwhile): the read below must see the end.
        #expect(input.withUnsafeMutableBufferPointer { modernTestPipe2($0.baseAddress!, O_CLOEXEC) } == 0)
        #expect(output.withUnsafeMutableBufferPointer { modernTestPipe2($0.baseAddress!, O_CLOEXEC) } == 0)
        let (clientInput, clientOutput) = (input[0], output[1])
        let text = lines.joined(separator: "\n") + "\n"
        #expect(write(input[1], text, text.utf8.count) == text.utf8.count)
        close(input[1])
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let upstream = URL(string: "http://127.0.0.1:\(client.port!)/mcp")!
            let relay = StdioToHTTPRelay(
                configuration: .init(upstream: upstream, connectTimeout: .seconds(2)), recorder: TrafficRecorder(store: store),
                eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test"), clientInput: clientInput, clientOutput: clientOutput)
            await relay.run()
            release.finish()
        }
        close(output[1])
        close(input[0])
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(output[0], &buffer, buffer.count)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        close(output[0])
        // Only the call that was not cancelled is answered; the cancellation itself was never posted.
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"jsonrpc":"2.0","id":3,"result":{"content":[]}}"# + "\n")
        let posted = log.withLock { $0 }
        #expect(posted.contains("MCP-Protocol-Version=2026-07-28 Mcp-Method=tools/call Mcp-Name=fast -"))
        #expect(posted.allSatisfy { $0.hasPrefix("MCP-Protocol-Version=2026-07-28 Mcp-Method=tools/call Mcp-Name=") && $0.hasSuffix(" -") })
        let outcomes = store.report(serverName: nil).overview.outcomes
        #expect(outcomes["ok"] == 1)
        #expect(outcomes["cancelled"] == 1)
        #expect(outcomes["lost"] == 0)
    }
}

/// `pipe2(2)`, which Glibc's Swift module does not export.
@_silgen_name("pipe2")
private func modernTestPipe2(_ fds: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32

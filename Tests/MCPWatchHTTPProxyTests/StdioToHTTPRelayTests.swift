import Foundation
import Logging
import MCPWatchCore
import NIOPosix
import ServiceLifecycle
import Testing
@testable import MCPWatchHTTPProxy

@Suite struct JSONLineTests {
    private func line(_ text: String) -> String? {
        JSONLine.line(Array(text.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func aSingleLineMessageKeepsItsBytesAndGetsOneNewline() {
        let message = #"{"jsonrpc":"2.0","id":1,"result":{"text":"a\nb ✓"}}"#
        #expect(line(message) == message + "\n")
    }

    @Test func newlinesBetweenTokensBecomeSpacesAndStringsStayAsTheyAre() {
        let pretty = "{\r\n  \"jsonrpc\": \"2.0\",\n  \"id\": 1,\n  \"result\": {\"text\": \"x\\\"\\n{\\\\\"}\n}\r\n"
        #expect(line(pretty) == "{    \"jsonrpc\": \"2.0\",   \"id\": 1,   \"result\": {\"text\": \"x\\\"\\n{\\\\\"} }\n")
    }

    @Test func anSSEEventsJoinedDataLinesBecomeOneLine() {
        // Two `data:` lines, joined with LF by the event-stream parser.
        #expect(line("{\"jsonrpc\":\"2.0\",\n\"method\":\"notifications/progress\"}") == "{\"jsonrpc\":\"2.0\", \"method\":\"notifications/progress\"}\n")
    }

    @Test func whitespaceOnlyIsNoMessage() {
        #expect(line("") == nil)
        #expect(line(" \r\n\t") == nil)
    }
}

@Suite struct UpstreamSessionTests {
    private func dictionary(_ pairs: [(String, String)]) -> [String: String] {
        Dictionary(pairs, uniquingKeysWith: { _, b in b })
    }

    @Test func beforeInitializeAPostCarriesOnlyTheContentHeaders() {
        let headers = dictionary(UpstreamSession().headers(for: .post))
        #expect(headers == ["Accept": "application/json, text/event-stream", "Content-Type": "application/json"])
    }

    @Test func afterInitializeEveryRequestCarriesTheSessionAndTheVersion() {
        let session = UpstreamSession(sessionID: "abc", protocolVersion: "2025-06-18", lastEventID: "7")
        let post = dictionary(session.headers(for: .post))
        #expect(post["Mcp-Session-Id"] == "abc")
        #expect(post["MCP-Protocol-Version"] == "2025-06-18")
        #expect(post["Last-Event-ID"] == nil)
        let listen = dictionary(session.headers(for: .listen))
        #expect(listen == ["Accept": "text/event-stream", "Last-Event-ID": "7", "Mcp-Session-Id": "abc", "MCP-Protocol-Version": "2025-06-18"])
        #expect(dictionary(session.headers(for: .delete)) == ["Mcp-Session-Id": "abc", "MCP-Protocol-Version": "2025-06-18"])
    }
}

@Suite struct PostedMessageTests {
    @Test func aRequestANotificationAndABatch() {
        let initialize = PostedMessage(inspecting: Array(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#.utf8) + [0x0A])
        #expect(initialize.requestIDs == [MCPWatchCore.RequestID(1)])
        #expect(initialize.isInitialize)
        let note = PostedMessage(inspecting: Array(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.utf8))
        #expect(note.requestIDs.isEmpty && note.method == "notifications/initialized" && !note.isInitialize)
        let batch = PostedMessage(inspecting: Array(#"[{"jsonrpc":"2.0","id":"a","method":"ping"},{"jsonrpc":"2.0","method":"x"},{"jsonrpc":"2.0","id":2,"method":"ping"}]"#.utf8))
        #expect(batch.requestIDs == [MCPWatchCore.RequestID(json: "\"a\""), MCPWatchCore.RequestID(2)])
        let response = PostedMessage(inspecting: Array(#"{"jsonrpc":"2.0","id":5,"result":{}}"#.utf8))
        #expect(response.requestIDs.isEmpty)
    }
}

@Suite struct StdioToHTTPRelayTests {
    /// An upstream that refuses connections: each request gets error -32002 naming the URL, notifications nothing,
    /// and the relay ends at the end of input.
    @Test func anUnreachableUpstreamAnswersEachRequestWithAnError() async throws {
        var input: [Int32] = [0, 0]
        var output: [Int32] = [0, 0]
        #expect(closeOnExecPipe(&input) && closeOnExecPipe(&output))
        let messages = [
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
            #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            #"{"jsonrpc":"2.0","id":"two","method":"tools/call","params":{"name":"echo"}}"#,
        ].joined(separator: "\n") + "\n"
        #expect(write(input[1], messages, messages.utf8.count) == messages.utf8.count)
        close(input[1])

        let store = MetricsStore(configuration: .init())
        // Port 1 on loopback: nothing listens there. async-http-client retries a refused connection until the
        // connect timeout, hence a short one.
        let url = URL(string: "http://127.0.0.1:1/mcp")!
        let relay = StdioToHTTPRelay(
            configuration: .init(upstream: url, connectTimeout: .milliseconds(300)), recorder: TrafficRecorder(store: store),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test"), clientInput: input[0], clientOutput: output[1])
        await relay.run()
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
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        var ids: [String] = []
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let error = try #require(object["error"] as? [String: Any])
            #expect(error["code"] as? Int == JSONRPCErrorCode.upstreamUnavailable)
            #expect((error["message"] as? String)?.contains("http://127.0.0.1:1/mcp") == true)
            ids.append("\(object["id"]!)")
        }
        #expect(Set(ids) == ["1", "two"])
        let report = store.report(serverName: nil)
        #expect(report.overview.outcomes["lost"] == 2)
    }
}

@Suite struct StdioFrontAnswerTests {
    /// Runs the stdio front over `lines` (then the end of input) against `upstream`; returns what it wrote to stdout.
    private func relay(_ lines: [String], to upstream: URL, store: MetricsStore) async throws -> [String] {
        var input: [Int32] = [0, 0]
        var output: [Int32] = [0, 0]
        #expect(closeOnExecPipe(&input) && closeOnExecPipe(&output))
        let text = lines.joined(separator: "\n") + "\n"
        #expect(write(input[1], text, text.utf8.count) == text.utf8.count)
        close(input[1])
        let relay = StdioToHTTPRelay(
            configuration: .init(upstream: upstream, connectTimeout: .seconds(2)), recorder: TrafficRecorder(store: store),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test"), clientInput: input[0], clientOutput: output[1])
        await relay.run()
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
        #expect(relay.currentSession.sessionID == "s-1")
        #expect(relay.currentSession.protocolVersion == "2025-06-18")
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// A JSON answer becomes one line as it is; each event of an SSE answer becomes a line as it comes; the session the
    /// server named goes on every later request and is ended with DELETE at the end of input.
    @Test func jsonAndSSEAnswersBecomeLinesAndTheSessionIsEndedAtTheEnd() async throws {
        let log = InProcessUpstream.Log()
        let store = MetricsStore()
        let initialize = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}"#
        let call = #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"x","arguments":{}}}"#
        let lines = try await InProcessUpstream.with(log: log) { upstream in
            try await relay([initialize, call], to: upstream, store: store)
        }
        #expect(lines == [
            InProcessUpstream.initializeAnswer,
            #"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"p","progress":1}}"#,
            #"{"jsonrpc":"2.0","id":2,"result":{"content":[]}}"#,
            "",
        ])
        #expect(log.all == ["POST - \(initialize)", "POST s-1 \(call)", "DELETE s-1"])
        #expect(store.report(serverName: nil).overview.outcomes["ok"] == 2)
    }

    /// As a service: graceful shutdown ends the relay as the end of input does (the call under way is answered, the
    /// session is ended with DELETE), with the client's input still open.
    @Test(.timeLimit(.minutes(1))) func gracefulShutdownEndsTheSessionAsTheEndOfInputDoes() async throws {
        let log = InProcessUpstream.Log()
        let (received, upstreamGotIt) = AsyncStream.makeStream(of: Void.self)
        let store = MetricsStore()
        let initialize = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}"#
        var input: [Int32] = [0, 0]
        var output: [Int32] = [0, 0]
        #expect(closeOnExecPipe(&input) && closeOnExecPipe(&output))
        let (clientInput, clientOutput) = (input[0], output[1])
        let text = initialize + "\n"
        #expect(write(input[1], text, text.utf8.count) == text.utf8.count)
        try await InProcessUpstream.with(log: log, received: upstreamGotIt) { upstream in
            let relay = StdioToHTTPRelay(
                configuration: .init(upstream: upstream, connectTimeout: .seconds(2)), recorder: TrafficRecorder(store: store),
                eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test"), clientInput: clientInput, clientOutput: clientOutput)
            let group = ServiceGroup(configuration: .init(services: [relay], logger: Logger(label: "test")))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                for await _ in received { break }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
        // The stdin reader still waits on the open input: the end of input lets it go (its fd stays open for it).
        close(input[1])
        close(output[1])
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(output[0], &buffer, buffer.count)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        close(output[0])
        #expect(String(decoding: bytes, as: UTF8.self) == InProcessUpstream.initializeAnswer + "\n")
        #expect(log.all == ["POST - \(initialize)", "DELETE s-1"])
    }
}

/// A pipe whose ends no child process inherits: the bridge's tests start servers at the same time, and a server
/// holding the write end of the client's output would keep the read below from ever seeing its end.
private func closeOnExecPipe(_ fds: inout [Int32]) -> Bool {
    fds.withUnsafeMutableBufferPointer { systemPipe2($0.baseAddress!, O_CLOEXEC) } == 0
}

/// `pipe2(2)`, which Glibc's Swift module does not export.
@_silgen_name("pipe2")
private func systemPipe2(_ fds: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32

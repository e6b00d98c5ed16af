import Foundation
import Logging
import Testing
@testable import MCPWatchCore
@testable import MCPWatchProxy

/// The relay between in-process pipes (our side) and a real child process written in shell (the server side).
@Suite struct StdioRelayTests {
    /// Our client's ends: we write requests into `toRelay`, read answers from `fromRelay`.
    struct ClientPipes {
        let relayInput: Int32
        let toRelay: Int32
        let relayOutput: Int32
        let fromRelay: Int32

        init() {
            var a: [Int32] = [-1, -1], b: [Int32] = [-1, -1]
            // Close-on-exec: tests run in parallel, and a pipe end inherited by another test's child never reaches EOF.
            _ = pipe(&a)
            _ = pipe(&b)
            for fd in a + b { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            relayInput = a[0]
            toRelay = a[1]
            relayOutput = b[1]
            fromRelay = b[0]
        }

        func send(_ text: String) {
            var text = text
            _ = text.withUTF8 { write(toRelay, $0.baseAddress, $0.count) }
        }

        /// Reads lines until `count` lines arrived or the stream ended, on a thread of its own: a blocking read must
        /// not hold one of the few threads that Swift concurrency runs the relay's continuation on.
        func readLines(_ count: Int) async -> [String] {
            let fd = fromRelay
            return await withCheckedContinuation { continuation in
                Thread { continuation.resume(returning: Self.blockingReadLines(fd, count)) }.start()
            }
        }

        static func blockingReadLines(_ fromRelay: Int32, _ count: Int) -> [String] {
            var data = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while data.filter({ $0 == 0x0A }).count < count {
                let n = read(fromRelay, &buffer, buffer.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                data += buffer[0..<n]
            }
            // Split bytes, not Characters: Swift treats "\r\n" as one Character.
            return data.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
        }
    }

    func relay(_ script: String, pipes: ClientPipes, maxMessageBytes: Int = 1 << 20) -> StdioRelay {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return StdioRelay(
            configuration: .init(command: ["/bin/sh", "-c", script], maxMessageBytes: maxMessageBytes, shutdownGrace: .seconds(2)),
            recorder: TrafficRecorder(store: MetricsStore()), logger: logger,
            clientInput: pipes.relayInput, clientOutput: pipes.relayOutput)
    }

    @Test func relaysBytesUnchangedAndMeasures() async throws {
        let pipes = ClientPipes()
        // The server answers each line with a fixed response that has odd spacing, unicode and a CRLF ending.
        let relay = relay(#"while IFS= read -r line; do printf '%s\r\n' '{ "id" : 1 , "result":{"t":"\u00e9 é"},"jsonrpc":"2.0"}'; done"#, pipes: pipes)
        async let exit = relay.runUntilServerExits()
        pipes.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\"}}\n")
        let lines = await pipes.readLines(1)
        #expect(lines == [#"{ "id" : 1 , "result":{"t":"\u00e9 é"},"jsonrpc":"2.0"}"# + "\r"])
        close(pipes.toRelay)
        #expect(try await exit == .exited(0))
        let report = relay.recorder.store.report()
        let echo = try #require(report.targets.first { $0.name == "echo" })
        #expect(echo.calls == 1)
        #expect(echo.outcomes["ok"] == 1)
        #expect(report.session.serverAlive == false)
    }

    @Test func pendingRequestsGetAnErrorWhenTheServerExits() async throws {
        let pipes = ClientPipes()
        let relay = relay("read line; exit 3", pipes: pipes)
        async let exit = relay.runUntilServerExits()
        pipes.send(#"{"jsonrpc":"2.0","id":"a-1","method":"tools/call","params":{"name":"slow"}}"# + "\n")
        let lines = await pipes.readLines(1)
        #expect(try await exit == .exited(3))
        let line = try #require(lines.first)
        #expect(line.hasPrefix(#"{"jsonrpc":"2.0","id":"a-1","error":{"code":-32000,"#))
        #expect(line.contains("exited with status 3"))
        let report = relay.recorder.store.report()
        #expect(report.targets.first { $0.name == "slow" }?.outcomes["lost"] == 1)
        close(pipes.toRelay)
    }

    @Test func aServerKilledBySignalIsReportedAsSuch() async throws {
        let pipes = ClientPipes()
        let relay = relay("kill -9 $$", pipes: pipes)
        let exit = try await relay.runUntilServerExits()
        #expect(exit == .signaled(9))
        #expect(exit.shellStatus == 137)
        close(pipes.toRelay)
    }

    @Test func oversizedRequestIsAnsweredAndTheSessionGoesOn() async throws {
        let pipes = ClientPipes()
        let relay = relay(#"while IFS= read -r line; do printf '%s\n' "$line"; done"#, pipes: pipes, maxMessageBytes: 200)
        async let exit = relay.runUntilServerExits()
        let big = String(repeating: "x", count: 1_000)
        pipes.send(#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"upload","arguments":{"data":""# + big + "\"}}}\n")
        pipes.send("not json\n")
        let lines = await pipes.readLines(2)
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix(#"{"jsonrpc":"2.0","id":7,"error":{"code":-32600,"#) == true)
        // The echo server sends the junk line back: it was relayed both ways, unchanged.
        #expect(lines.last == "not json")
        close(pipes.toRelay)
        #expect(try await exit == .exited(0))
        let anomalies = relay.recorder.store.report().anomalies.byKind
        #expect(anomalies["oversized_message"] == 1)
        #expect(anomalies["invalid_json"] == 2)
    }

    /// A server answering every request with its own id (sed picks the id out of the line).
    static let idEchoServer = #"exec sed -u 's/.*"id":\("[^"]*"\|[0-9]*\).*/{"jsonrpc":"2.0","id":\1,"result":{"tools":[]}}/'"#

    @Test func mcpwatchsOwnRequestsAreAnsweredToItAndNeverReachTheClient() async throws {
        let pipes = ClientPipes()
        let relay = relay(Self.idEchoServer, pipes: pipes)
        async let exit = relay.runUntilServerExits()
        pipes.send(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"# + "\n")
        #expect(await pipes.readLines(1) == [#"{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}"#])
        // The explorer's request travels on the client's connection; its answer comes back to mcpwatch only.
        let answer = try await relay.injected.send(method: "tools/list", params: nil, timeout: .seconds(30))
        let text = String(decoding: answer, as: UTF8.self)
        #expect(text.hasPrefix(#"{"jsonrpc":"2.0","id":"mcpwatch-"#))
        // A client that uses a string id of the same shape is still the client's.
        pipes.send(#"{"jsonrpc":"2.0","id":"mcpwatch-0-1","method":"tools/list"}"# + "\n")
        #expect(await pipes.readLines(1) == [#"{"jsonrpc":"2.0","id":"mcpwatch-0-1","result":{"tools":[]}}"#])
        close(pipes.toRelay)
        #expect(try await exit == .exited(0))
        let list = try #require(relay.recorder.store.report().targets.first { $0.method == "tools/list" })
        #expect(list.calls == 3)
        #expect(list.dashboardCalls == 1)
        // Once the server is gone there is nothing to send on.
        await #expect(throws: InjectedRequests.Failure.notConnected) {
            try await relay.injected.send(method: "tools/list", params: nil, timeout: .seconds(1))
        }
    }

    @Test func anUnansweredOwnRequestTimesOutAndIsCancelledAtTheServer() async throws {
        let pipes = ClientPipes()
        // Prints what it receives to its stderr file and answers nothing.
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("mcpwatch-relay-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let relay = relay("cat > '\(log)'", pipes: pipes)
        async let exit = relay.runUntilServerExits()
        // The explorer's request can be sent once the relay is relaying: await that, do not guess it with a sleep.
        await relay.untilRelaying()
        await #expect(throws: InjectedRequests.Failure.timedOut) {
            try await relay.injected.send(method: "tools/call", params: #"{"name":"slow"}"#, timeout: .milliseconds(200))
        }
        close(pipes.toRelay)
        #expect(try await exit == .exited(0))
        let received = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(received.count == 2)
        #expect(received.last?.contains(#""method":"notifications/cancelled""#) == true)
        let slow = try #require(relay.recorder.store.report().targets.first { $0.name == "slow" })
        #expect(slow.outcomes["cancelled"] == 1)
        #expect(slow.dashboardCalls == 1)
    }

    @Test func aCommandThatDoesNotExistIsAClearError() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let relay = StdioRelay(configuration: .init(command: ["/nonexistent/mcp-server"]), recorder: TrafficRecorder(store: MetricsStore()), logger: logger)
        let error = await #expect(throws: WatchError.self) { try await relay.runUntilServerExits() }
        #expect(error?.code == .commandNotStarted)
        #expect(error?.message.contains("/nonexistent/mcp-server") == true)
    }

    func relayIgnoringEndOfInput(_ script: String, pipes: ClientPipes) -> StdioRelay {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return StdioRelay(
            configuration: .init(command: ["/bin/sh", "-c", script], shutdownGrace: .milliseconds(200)),
            recorder: TrafficRecorder(store: MetricsStore()), logger: logger,
            clientInput: pipes.relayInput, clientOutput: pipes.relayOutput)
    }

    @Test func serverThatIgnoresEndOfInputGetsSIGTERM() async throws {
        let pipes = ClientPipes()
        let relay = relayIgnoringEndOfInput("exec sleep 60", pipes: pipes)
        async let exit = relay.runUntilServerExits()
        close(pipes.toRelay)
        #expect(try await exit == .signaled(SIGTERM))
    }

    @Test func serverThatIgnoresSIGTERMGetsSIGKILL() async throws {
        let pipes = ClientPipes()
        // An ignored signal stays ignored across exec, so this `sleep` survives SIGTERM.
        let relay = relayIgnoringEndOfInput("trap '' TERM; exec sleep 60", pipes: pipes)
        async let exit = relay.runUntilServerExits()
        close(pipes.toRelay)
        #expect(try await exit == .signaled(SIGKILL))
    }
}

@Suite struct ChildExitTests {
    @Test func decodesWaitStatus() {
        #expect(ChildExit(waitStatus: 3 << 8) == .exited(3))
        #expect(ChildExit(waitStatus: 9) == .signaled(9))
        #expect(ChildExit.signaled(15).shellStatus == 143)
        #expect(ChildExit.signaled(9).description == "killed by signal 9 (SIGKILL)")
    }
}

import Foundation
import Logging
import ServiceLifecycleTestKit
import Testing
@testable import MCPWatchCore
@testable import MCPWatchProxy

/// The stdio relay as a service: graceful shutdown ends the session the way a client closing its input does.
@Suite struct StdioRelayServiceTests {
    typealias ClientPipes = StdioRelayTests.ClientPipes

    @Test func gracefulShutdownStopsTheServerAndAnswersWhatIsPending() async throws {
        let pipes = ClientPipes()
        // Reads one request, says so with a notification, then never answers and exits at the end of its input.
        let script = #"read -r line; printf '%s\n' '{"jsonrpc":"2.0","method":"notifications/message"}'; cat > /dev/null"#
        let relay = StdioRelayTests().relay(script, pipes: pipes)
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await relay.run() }
                pipes.send(#"{"jsonrpc":"2.0","id":"p-1","method":"tools/call","params":{"name":"pending"}}"# + "\n")
                // The notification proves the server has the request: it is pending at the relay.
                #expect(await pipes.readLines(1) == [#"{"jsonrpc":"2.0","method":"notifications/message"}"#])
                trigger.triggerGracefulShutdown()
                let answer = try #require(await pipes.readLines(1).first)
                #expect(answer.hasPrefix(#"{"jsonrpc":"2.0","id":"p-1","error":{"code":-32000,"#))
                try await group.next()
            }
        }
        #expect(relay.serverExit == .exited(0))
        let report = relay.recorder.store.report()
        #expect(report.targets.first { $0.name == "pending" }?.outcomes["lost"] == 1)
        #expect(report.session.serverAlive == false)
        close(pipes.toRelay)
    }

    @Test func untilRelayingReturnsOnceTheServerRunsAndAfterAFailedStart() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let relay = StdioRelay(configuration: .init(command: ["/nonexistent/mcp-server"]), recorder: TrafficRecorder(store: MetricsStore()), logger: logger)
        await #expect(throws: WatchError.self) { try await relay.run() }
        // A relay that could not start does not leave its waiters hanging.
        await relay.untilRelaying()
        #expect(relay.serverExit == nil)
    }
}

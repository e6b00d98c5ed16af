import Foundation
import Testing
import MCPWatchCore
@testable import MCPWatchBench

/// Whole runs against the bench server (or a fake one) on in-process pipes: counts are checked, never timings.
@Suite struct BenchRunnerTests {
    func run(_ configuration: BenchConfiguration, against server: InProcessServer = InProcessServer()) async throws -> BenchResult {
        let runner = try BenchRunner(configuration: configuration)
        do {
            let result = try await runner.run(requests: server.requests, responses: server.responses)
            await server.finish()
            return result
        } catch {
            await server.finish()
            throw error
        }
    }

    @Test func closedLoopCallsEveryOneOnce() async throws {
        let mix = try ToolMix.parse(Data(#"[{"tool":"echo","weight":3,"args":[{"text":"a"},{"text":"b\"c"}]},{"tool":"noop"}]"#.utf8), source: "mix")
        let result = try await run(BenchConfiguration(mix: mix, load: .closed(concurrency: 4), length: .calls(500), warmup: .calls(50)))
        #expect(result.completed)
        #expect(result.failure == nil)
        #expect(result.calls == 500)
        #expect(result.ok == 500)
        #expect(result.errors == .init())
        #expect(result.warmupCalls == 50)
        #expect(result.lateResponses == 0)
        #expect(result.unexpectedLines == 0)
        #expect(result.server == .init(name: "mcpwatch-bench-server", version: "1.0.0", protocolVersion: "2025-11-25"))
        #expect(result.mode == "closed")
        #expect(result.concurrency == 4)
        #expect(result.latencyUs.p50 <= result.latencyUs.p99 && result.latencyUs.p99 <= result.latencyUs.max)
        #expect(result.latencyMs.max == result.latencyUs.max / 1000)
    }

    @Test func openLoopSendsOnScheduleAndAnswersAll() async throws {
        let result = try await run(BenchConfiguration(
            mix: ToolMix.single(tool: "echo", argumentsJSON: #"{"text":"hi"}"#), load: .open(rate: 50_000, maxInFlight: 1000), length: .calls(300)))
        #expect(result.completed)
        #expect(result.calls == 300)
        #expect(result.ok == 300)
        #expect(result.errors.total == 0)
        #expect(result.mode == "open")
        #expect(result.rate == 50_000)
    }

    @Test func countsToolErrorsAsAnsweredFailures() async throws {
        let result = try await run(BenchConfiguration(mix: ToolMix.single(tool: "missing", argumentsJSON: "{}"), load: .closed(concurrency: 2), length: .calls(20)))
        #expect(result.completed)
        #expect(result.ok == 0)
        #expect(result.errors.toolError == 20)
        #expect(result.answered == 20)
    }

    @Test func aServerThatDiesEndsTheRunWithoutHanging() async throws {
        // Answers the handshake, takes one call, then exits: closes both its pipes.
        let server = InProcessServer { input, output in
            var reader = InProcessServer.LineReader(fd: input)
            guard reader.waitForLines(1) else { return }
            InProcessServer.write(output, InProcessServer.initializeResult)
            _ = reader.waitForLines(3)
        }
        let result = try await run(BenchConfiguration(mix: ToolMix.single(tool: "echo", argumentsJSON: "{}"), length: .calls(1000)), against: server)
        #expect(!result.completed)
        #expect(result.failure?.contains("closed its") == true)
        #expect(result.ok == 0)
        #expect(result.errors.transport >= 1)
        #expect(result.calls == result.ok + result.errors.total)
    }

    @Test func unansweredCallsTimeOut() async throws {
        // Answers the handshake, then reads everything and answers nothing.
        let server = InProcessServer { input, output in
            var reader = InProcessServer.LineReader(fd: input)
            guard reader.waitForLines(1) else { return }
            InProcessServer.write(output, InProcessServer.initializeResult)
            reader.drain()
        }
        let result = try await run(BenchConfiguration(
            mix: ToolMix.single(tool: "echo", argumentsJSON: "{}"), load: .closed(concurrency: 3), length: .calls(3), timeout: .milliseconds(20)),
            against: server)
        #expect(result.completed)
        #expect(result.errors.timeout == 3)
        #expect(result.ok == 0)
    }

    @Test func aRefusedHandshakeIsAnError() async throws {
        let server = InProcessServer { input, output in
            var reader = InProcessServer.LineReader(fd: input)
            guard reader.waitForLines(1) else { return }
            InProcessServer.write(output, #"{"jsonrpc":"2.0","id":0,"error":{"code":-32602,"message":"unsupported protocol version"}}"# + "\n")
            reader.drain()
        }
        let error = await #expect(throws: WatchError.self) {
            _ = try await run(BenchConfiguration(mix: ToolMix.single(tool: "echo", argumentsJSON: "{}"), length: .calls(1)), against: server)
        }
        #expect(error?.code == .initializeFailed)
        #expect(error?.message.contains("unsupported protocol version") == true)
    }

    @Test func theServerClosingItsOutputBeforeTheHandshakeIsAnError() async throws {
        let server = InProcessServer { _, _ in }
        let error = await #expect(throws: WatchError.self) {
            _ = try await run(BenchConfiguration(mix: ToolMix.single(tool: "echo", argumentsJSON: "{}"), length: .calls(1)), against: server)
        }
        #expect(error?.code == .initializeFailed)
    }

    @Test func aHandshakeWithoutAnswerEndsAtItsTimeoutAndCountsNonJSONRPCLines() async throws {
        // Logs on stdout instead of answering: the error must say how long it waited and what it saw.
        let server = InProcessServer { input, output in
            var reader = InProcessServer.LineReader(fd: input)
            guard reader.waitForLines(1) else { return }
            InProcessServer.write(output, "starting up\nlistening on stdio\n{\"not\": \"json-rpc\"}\n")
            reader.drain()
        }
        let error = await #expect(throws: WatchError.self) {
            _ = try await run(BenchConfiguration(mix: ToolMix.single(tool: "echo", argumentsJSON: "{}"), length: .calls(1),
                                                 handshakeTimeout: .milliseconds(300)), against: server)
        }
        #expect(error?.code == .initializeFailed)
        #expect(error?.message.contains("no answer to initialize within 300ms") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("it printed 3 lines on stdout that are not JSON-RPC") == true, "\(error?.message ?? "")")
    }

    @Test func rejectsOutOfRangeConfigurations() {
        let mix = ToolMix(entries: [.init(tool: "echo")])
        #expect(throws: WatchError.self) { try BenchConfiguration(mix: mix, load: .closed(concurrency: 0)) }
        #expect(throws: WatchError.self) { try BenchConfiguration(mix: mix, load: .open(rate: 0, maxInFlight: 10)) }
        #expect(throws: WatchError.self) { try BenchConfiguration(mix: mix, load: .open(rate: 10, maxInFlight: 0)) }
        #expect(throws: WatchError.self) { try BenchConfiguration(mix: mix, length: .calls(0)) }
        #expect(throws: WatchError.self) { try BenchConfiguration(mix: mix, timeout: .zero) }
    }
}

import Testing
@testable import MCPWatchBench

/// The bookkeeping driven step by step, with the time given: no clock, no I/O.
@Suite struct BenchStateTests {
    func state(_ load: BenchConfiguration.Load = .closed(concurrency: 2), length: BenchSpan = .calls(1000)) throws -> BenchState {
        var state = BenchState(configuration: try BenchConfiguration(mix: ToolMix(entries: [.init(tool: "echo")]), load: load, length: length))
        state.begin(at: 1_000)
        return state
    }

    /// Starts a call and returns its id (ids count from 1).
    func start(_ s: inout BenchState, at now: UInt64) -> Int {
        var out: [UInt8] = []
        let started = s.startCall(intended: now, into: &out)
        #expect(started)
        return s.outstanding.keys.max()!
    }

    @Test func aRefusalBetweenAnswersIsOneTransportError() throws {
        var s = try state()
        for round in 0..<5 {
            let refused = start(&s, at: 2_000)
            s.refuse(id: refused, at: 3_000, reason: "gone")
            let answered = start(&s, at: 4_000)
            s.reached()
            s.complete(id: answered, outcome: .ok, at: 5_000)
            #expect(s.failure == nil, "round \(round)")
        }
        #expect(s.errors.transport == 5 && s.ok == 5 && !s.isFinished)
    }

    @Test func refusalsInARowEndTheRunAsIncomplete() throws {
        var s = try state()
        let inFlight = start(&s, at: 2_000)
        for _ in 0..<BenchState.refusalsToGiveUp {
            #expect(s.failure == nil)
            s.refuse(id: start(&s, at: 3_000), at: 3_000, reason: "the server stopped accepting connections")
        }
        #expect(s.failure == "the server stopped accepting connections" && s.isFinished)
        // The refused attempts and the call that was out are the only errors; nothing more starts.
        #expect(s.errors.transport == BenchState.refusalsToGiveUp + 1)
        #expect(s.measuredStarted == BenchState.refusalsToGiveUp + 1)
        var out: [UInt8] = []
        let started = s.startCall(intended: 4_000, into: &out)
        let answered = s.complete(id: inFlight, outcome: .ok, at: 5_000)
        #expect(!started && !answered && out.isEmpty)
        let result = s.result(startedAt: "", server: nil)
        #expect(!result.completed && result.failure == "the server stopped accepting connections")
    }

    @Test func anInterruptCountsOnlyTheCallsThatEnded() throws {
        var s = try state()
        let first = start(&s, at: 2_000)
        _ = start(&s, at: 2_000)
        s.complete(id: first, outcome: .ok, at: 3_000)
        s.fail("interrupted (SIGINT)", at: 9_000, dropOutstanding: true)
        let result = s.result(startedAt: "", server: nil)
        #expect(!result.completed && result.failure == "interrupted (SIGINT)")
        #expect(result.calls == 1 && result.ok == 1 && result.errors.total == 0)
        // The answer to the call given up on is not a late answer: the run had stopped waiting.
        _ = s.complete(id: first + 1, outcome: .ok, at: 10_000)
        #expect(s.lateResponses == 0)
    }

    /// An open loop at 2 calls/s, each call answered 1 ms after it starts; returns the result.
    func openLoopAtTwoPerSecond(length: BenchSpan) throws -> BenchResult {
        var s = try state(.open(rate: 2, maxInFlight: 10), length: length)
        let second: UInt64 = 1_000_000_000
        var now: UInt64 = 1_000
        while !s.isFinished && now < 10 * second {
            var out: [UInt8] = []
            s.startScheduledCalls(now: now, rate: 2, into: &out)
            s.advance(to: now)
            for id in s.outstanding.keys { s.complete(id: id, outcome: .ok, at: now + 1_000_000) }
            s.advance(to: now + 1_000_000)
            now += second / 4
        }
        return s.result(startedAt: "", server: nil)
    }

    @Test func openLoopElapsedCoversTheSchedule() throws {
        // 4 calls at 0, 0.5, 1 and 1.5 s: the run lasted 2 s (it read 1.501 s, and 2.7 calls/s).
        let timed = try openLoopAtTwoPerSecond(length: .duration(.seconds(2)))
        #expect(timed.ok == 4 && timed.elapsedSeconds == 2 && timed.callsPerSecond == 2)
        let counted = try openLoopAtTwoPerSecond(length: .calls(4))
        #expect(counted.ok == 4 && counted.elapsedSeconds == 2 && counted.callsPerSecond == 2)
    }
}

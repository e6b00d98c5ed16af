import Foundation
import Testing

@testable import MCPWatchCore

@Suite struct WindowStatisticsTests {
    static func call(_ tool: String, micros: UInt64, ok: Bool = true, at clock: ManualClock) -> CompletedCall {
        CompletedCall(method: "tools/call", target: tool, id: RequestID(1), outcome: ok ? .ok : .toolError,
                      durationNanos: micros * 1_000, finishedAt: clock.now())
    }

    @Test func timeWindowsCountOnlyTheirCallsAndForgetIdleTools() throws {
        let clock = ManualClock()
        let store = MetricsStore(clock: clock)
        for i in 1...10 { store.record(Self.call("old", micros: UInt64(i) * 1_000, ok: i != 10, at: clock)) }
        clock.advance(seconds: 30)
        for _ in 0..<4 { store.record(Self.call("new", micros: 2_000, at: clock)) }
        var w = store.windowStatistics(.seconds(60))
        let old = try #require(w.targets.first { $0.name == "old" })
        #expect(old.calls == 10 && old.errors == 1 && old.avgMs == 5.5 && old.p50Ms == 5 && old.p95Ms == 10 && old.p99Ms == 10)
        #expect(w.all.calls == 14 && w.all.errors == 1)
        clock.advance(seconds: 31)  // "old" is now idle since before the window; "new" is inside it
        w = store.windowStatistics(.seconds(60))
        let idle = try #require(w.targets.first { $0.name == "old" })
        #expect(idle.calls == 0 && idle.avgMs == nil && idle.p95Ms == nil && idle.errorRate == nil)
        #expect(w.targets.first { $0.name == "new" }?.calls == 4)
        // A window of calls ignores time: the last 3 calls of "old" are still its last 3.
        let last3 = try #require(store.windowStatistics(.calls(3)).targets.first { $0.name == "old" })
        #expect(last3.calls == 3 && last3.errors == 1 && last3.avgMs == 9)
    }
}

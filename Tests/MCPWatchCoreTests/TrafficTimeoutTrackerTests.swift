import Testing
@testable import MCPWatchCore

@Suite struct TrafficTimeoutTrackerTests {
    let t0 = MonotonicInstant(nanoseconds: 5_000_000_000)
    func at(_ seconds: Double) -> MonotonicInstant { t0.advanced(byNanoseconds: UInt64(seconds * 1e9)) }

    @Test func expiresInDeadlineOrderAndRecognisesLateAnswers() {
        var tracker = TimeoutTracker<RequestID>()
        tracker.start(RequestID(1), timeout: .seconds(10), now: t0)
        tracker.start(RequestID(2), timeout: .seconds(2), now: t0)
        tracker.start(RequestID(3), timeout: .seconds(5), now: t0)
        #expect(tracker.nextDeadline() == at(2))
        #expect(tracker.expire(now: at(1)).isEmpty)
        #expect(tracker.finish(RequestID(3)) == .inTime)
        #expect(tracker.expire(now: at(6)) == [.init(key: RequestID(2), timeout: .seconds(2))])
        #expect(tracker.nextDeadline() == at(10))
        #expect(tracker.finish(RequestID(2)) == .late)
        #expect(tracker.finish(RequestID(2)) == .untracked)
        #expect(tracker.finish(RequestID(99)) == .untracked)
        #expect(tracker.count == 1)
    }

    @Test func restartingAKeyKeepsOnlyTheNewDeadline() {
        var tracker = TimeoutTracker<Int>()
        tracker.start(7, timeout: .seconds(1), now: t0)
        #expect(tracker.finish(7) == .inTime)
        tracker.start(7, timeout: .seconds(30), now: at(1))
        #expect(tracker.expire(now: at(2)).isEmpty)
        #expect(tracker.nextDeadline() == at(31))
    }

    @Test func rememberedExpiriesAreBounded() {
        var tracker = TimeoutTracker<Int>(rememberedExpiries: 10)
        for call in 0..<100 { tracker.start(call, timeout: .seconds(1), now: t0) }
        #expect(tracker.expire(now: at(2)).count == 100)
        #expect(tracker.finish(99) == .late)
        #expect(tracker.finish(0) == .untracked)
    }
}

import Testing
@testable import MCPWatchCore

@Suite struct TrafficAdmissionQueueTests {
    let t0 = MonotonicInstant(nanoseconds: 1_000_000_000)
    func at(_ seconds: Double) -> MonotonicInstant { t0.advanced(byNanoseconds: UInt64(seconds * 1e9)) }

    @Test func neverMoreThanTheLimitInFlight() {
        var queue = AdmissionQueue<Int>(limits: .init(maxConcurrency: 2, maxQueued: 100, queueTimeout: nil))
        var decisions: [AdmissionQueue<Int>.Decision] = []
        for call in 0..<10 { decisions.append(queue.arrive(call, now: t0)) }
        #expect(decisions.prefix(2).allSatisfy { $0 == .admitted })
        #expect(decisions[2] == .queued(depth: 1) && decisions[9] == .queued(depth: 8))
        var order: [Int] = [0, 1]
        var running: Set<Int> = [0, 1]
        while let call = running.min() {
            running.remove(call)
            let released = queue.finish(call, now: at(1))
            #expect(released.count <= 1)
            for release in released { running.insert(release.key); order.append(release.key) }
            #expect(queue.inFlightCount <= 2 && queue.inFlightCount == running.count)
        }
        #expect(order == Array(0..<10))
        #expect(queue.queuedCount == 0 && queue.inFlightCount == 0)
    }

    @Test func priorityThenArrival() {
        var queue = AdmissionQueue<String>(limits: .init(maxConcurrency: 1, maxQueued: 10, queueTimeout: nil))
        #expect(queue.arrive("busy", now: t0) == .admitted)
        _ = queue.arrive("low1", priority: .low, now: t0)
        _ = queue.arrive("normal1", priority: .normal, now: t0)
        _ = queue.arrive("low2", priority: .low, now: t0)
        _ = queue.arrive("high1", priority: .high, now: t0)
        _ = queue.arrive("normal2", now: t0)
        _ = queue.arrive("high2", priority: .high, now: t0)
        var order: [String] = []
        var current = "busy"
        while true {
            let released = queue.finish(current, now: at(1))
            guard let next = released.first else { break }
            order.append(next.key)
            current = next.key
        }
        #expect(order == ["high1", "high2", "normal1", "normal2", "low1", "low2"])
    }

    @Test func fullQueueRejectsAtOnce() {
        var queue = AdmissionQueue<Int>(limits: .init(maxConcurrency: 1, maxQueued: 2, queueTimeout: nil))
        #expect(queue.arrive(1, now: t0) == .admitted)
        #expect(queue.arrive(2, now: t0) == .queued(depth: 1))
        #expect(queue.arrive(3, now: t0) == .queued(depth: 2))
        #expect(queue.arrive(4, now: t0) == .rejected(.queueFull(maxQueued: 2)))
        #expect(queue.arrive(2, now: t0) == .rejected(.duplicate))
        #expect(queue.arrive(1, now: t0) == .rejected(.duplicate))
        var none = AdmissionQueue<Int>(limits: .init(maxConcurrency: 1, maxQueued: 0, queueTimeout: nil))
        #expect(none.arrive(1, now: t0) == .admitted)
        #expect(none.arrive(2, now: t0) == .rejected(.queueFull(maxQueued: 0)))
    }

    @Test func cancelledQueuedCallNeverReachesTheServer() {
        var queue = AdmissionQueue<Int>(limits: .init(maxConcurrency: 1, maxQueued: 10, queueTimeout: nil))
        _ = queue.arrive(1, now: t0)
        _ = queue.arrive(2, now: t0)
        _ = queue.arrive(3, now: t0)
        #expect(queue.cancel(2) == .removedFromQueue)
        #expect(queue.cancel(2) == .unknown)
        #expect(queue.cancel(1) == .inFlight)
        #expect(queue.finish(1, now: at(1)).map(\.key) == [3])
        #expect(queue.finish(3, now: at(2)).isEmpty)
        #expect(queue.inFlightCount == 0)
    }

    @Test func queueTimeoutExpiresWaitingCallsOnly() {
        var queue = AdmissionQueue<Int>(limits: .init(maxConcurrency: 1, maxQueued: 10, queueTimeout: .seconds(5)))
        _ = queue.arrive(1, now: t0)
        _ = queue.arrive(2, now: t0)
        _ = queue.arrive(3, queueTimeout: .seconds(1), now: at(1))
        _ = queue.arrive(4, now: at(2))
        #expect(queue.nextDeadline() == at(2))
        #expect(queue.expire(now: at(1.5)).isEmpty)
        let first = queue.expire(now: at(2))
        #expect(first == [.init(key: 3, waitedNanoseconds: 1_000_000_000, timeout: .seconds(1))])
        #expect(queue.nextDeadline() == at(5))
        #expect(queue.cancel(2) == .removedFromQueue)
        #expect(queue.nextDeadline() == at(7))
        #expect(queue.expire(now: at(100)).map(\.key) == [4])
        #expect(queue.nextDeadline() == nil)
        #expect(queue.inFlightCount == 1 && queue.queuedCount == 0)
    }

    @Test func releaseReportsTheWait() {
        var queue = AdmissionQueue<Int>(limits: .init(maxConcurrency: 1, maxQueued: 10, queueTimeout: nil))
        _ = queue.arrive(1, now: t0)
        _ = queue.arrive(2, now: at(1))
        #expect(queue.finish(1, now: at(3.5)) == [.init(key: 2, waitedNanoseconds: 2_500_000_000)])
    }

    @Test func perToolLimitsDoNotBlockOtherTools() {
        var queue = AdmissionQueue<String>(limits: .init(maxConcurrency: 3, groupLimits: ["tool:slow": 1], maxQueued: 10, queueTimeout: nil))
        #expect(queue.arrive("slow1", group: "tool:slow", now: t0) == .admitted)
        #expect(queue.arrive("slow2", group: "tool:slow", priority: .high, now: t0) == .queued(depth: 1))
        // A call of another tool goes by: the waiting one waits for its tool's slot, not the server's.
        #expect(queue.arrive("fast1", group: "tool:fast", now: t0) == .admitted)
        #expect(queue.arrive("fast2", now: t0) == .admitted)
        #expect(queue.arrive("fast3", now: t0) == .queued(depth: 2))
        #expect(queue.inFlightCount(group: "tool:slow") == 1)
        // fast1 ends: a server slot frees; slow2 still cannot go (its tool is full), fast3 can.
        #expect(queue.finish("fast1", now: at(1)).map(\.key) == ["fast3"])
        // slow1 ends: its tool's slot frees and so does a server slot, so slow2 goes at last.
        #expect(queue.finish("slow1", now: at(2)).map(\.key) == ["slow2"])
        #expect(queue.inFlightCount == 3)
    }

    @Test func queueAndCancelInALoopKeepsMemoryBounded() {
        var queue = AdmissionQueue<Int>(limits: .init(maxConcurrency: 1, maxQueued: 5, queueTimeout: .seconds(1)))
        _ = queue.arrive(-1, now: t0)
        for call in 0..<100_000 {
            #expect(queue.arrive(call, now: t0) == .queued(depth: 1))
            #expect(queue.cancel(call) == .removedFromQueue)
        }
        // The dead items were compacted away: the next release is found at once and no cancelled call is released.
        _ = queue.arrive(100_000, now: t0)
        #expect(queue.finish(-1, now: at(0.5)).map(\.key) == [100_000])
        #expect(queue.nextDeadline() == nil)
    }
}

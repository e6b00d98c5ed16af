import Foundation
import Testing
@testable import MCPWatchCore

/// What a target costs in memory, and that the sparse structures read the same as the dense ones they replaced.
@Suite struct MemoryPerTargetTests {
    /// The dense ring the sparse one replaced: slot `second % capacity`, overwritten by a later second.
    struct DenseRing {
        var slots: [SecondRing.Slot]
        init(capacity: Int) { slots = Array(repeating: SecondRing.Slot(), count: capacity) }
        mutating func add(second: UInt32, failed: Bool, micros: UInt64) {
            let i = Int(second % UInt32(slots.count))
            if slots[i].second != second { slots[i] = SecondRing.Slot(second: second) }
            slots[i].calls &+= 1
            if failed { slots[i].errors &+= 1 }
            slots[i].maxMicros = max(slots[i].maxMicros, UInt32(truncatingIfNeeded: min(micros, UInt64(UInt32.max))))
            slots[i].sumMicros &+= micros
        }
        func slot(second: UInt32) -> SecondRing.Slot {
            let s = slots[Int(second % UInt32(slots.count))]
            return s.second == second ? s : SecondRing.Slot(second: second)
        }
    }

    /// Bursts, gaps longer than the window, and calls that finish a second or two before the last one recorded:
    /// every slot and total a reader asks for (windows ending at or after the newest second) is the dense ring's.
    @Test(arguments: [1, 7, 60])
    func sparseRingReadsAsTheDenseRing(capacity: Int) {
        var sparse = SecondRing(capacity: capacity)
        var dense = DenseRing(capacity: capacity)
        var generator = SplitMix(seed: UInt64(capacity))
        var newest: UInt32 = 0
        for step in 0..<5_000 {
            let r = generator.next()
            switch r % 10 {
            case 0: newest += UInt32(truncatingIfNeeded: r >> 8) % UInt32(3 * capacity)  // a gap, sometimes past the window
            case 1, 2, 3: newest += 1
            default: break
            }
            // Now and then a call that finished just before the newest one (another thread took the lock first).
            let late = r % 13 == 0 ? min(newest, UInt32((r >> 20) % 3)) : 0
            let second = newest - late
            // Only seconds inside the window: an older one the dense ring would have written over a newer second.
            if UInt64(second) + UInt64(capacity) > UInt64(newest) {
                sparse.add(second: second, failed: r % 5 == 0, micros: (r >> 32) % 100_000)
                dense.add(second: second, failed: r % 5 == 0, micros: (r >> 32) % 100_000)
            }
            if step % 7 == 0 {
                let current = newest + UInt32(r >> 40) % 3
                let window = 1 + Int(r >> 48) % capacity
                let first = current >= UInt32(window) ? current - UInt32(window) + 1 : 0
                var calls: UInt64 = 0, errors: UInt64 = 0, sum: UInt64 = 0
                for s in first...current {
                    let a = sparse.slot(second: s), b = dense.slot(second: s)
                    #expect(a == b, "second \(s)")
                    calls += UInt64(b.calls)
                    errors += UInt64(b.errors)
                    sum += b.sumMicros
                }
                let totals = sparse.totals(endingAt: current, seconds: window)
                #expect(totals.calls == calls && totals.errors == errors && totals.sumMicros == sum)
            }
        }
        #expect(sparse.count <= capacity)
    }

    /// The sparse histogram reads, cell by cell and group by group, as the full layout counted densely.
    @Test func sparseHistogramHasTheFullLayout() {
        var histogram = LatencyHistogram()
        var dense = Array(repeating: UInt64(0), count: LatencyHistogram.length)
        var generator = SplitMix(seed: 21)
        #expect(histogram.counts.allSatisfy { $0 == 0 })
        #expect(histogram.groups == Array(repeating: 0, count: LatencyHistogram.groupCount))
        for i in 0..<20_000 {
            let r = generator.next()
            let v = i % 3 == 0 ? 1 + r % 4_000_000_000 : 1 + r % (i % 2 == 0 ? 300 : 70_000)
            histogram.record(v)
            dense[LatencyHistogram.index(of: min(v, LatencyHistogram.highestTrackable))] += 1
        }
        #expect(Array(histogram.counts) == dense)
        for g in 0..<LatencyHistogram.groupCount {
            let width = LatencyHistogram.halfCount
            #expect(histogram.groups[g] == dense[(g * width)..<((g + 1) * width)].reduce(0, +))
        }
    }

    /// 1,000 tools, each called in 60 different seconds over a minute (with failures of two types): the heap a
    /// target holds stays at most 32 KB (issue 21), counted from what each structure allocated.
    @Test func aThousandTargetsStayWithinTheFigure() {
        let clock = ManualClock()
        let store = MetricsStore(configuration: .init(maxTargets: 1_001), clock: clock)
        var generator = SplitMix(seed: 1_000)
        for _ in 0..<60 {
            for tool in 0..<1_000 {
                let r = generator.next()
                // Latencies from 50 µs to about 400 ms, log-spread: a tool's histogram touches many groups.
                let micros = 50 << (r % 13) + (r >> 16) % 50
                let outcome: CallOutcome = r % 20 == 0 ? .toolError : (r % 33 == 0 ? .jsonrpcError : .ok)
                store.record(CompletedCall(
                    method: "tools/call", target: "tool_\(tool)", id: RequestID(1), outcome: outcome, durationNanos: micros * 1_000,
                    finishedAt: clock.now(), requestBytes: 120, responseBytes: 300,
                    errorCode: outcome == .jsonrpcError ? -32603 : nil, errorMessage: outcome == .ok ? nil : "failed"))
            }
            clock.advance(seconds: 1)
        }
        _ = store.report()
        let perTarget = store.state.withLock { state in
            state.targets.map(\.heapBytes).reduce(0, +) / state.targets.count
        }
        #expect(store.report().targets.count == 1_000)
        #expect(perTarget <= 32 * 1_024, "a target holds \(perTarget) bytes")
        withExtendedLifetime(store) {}
    }
}

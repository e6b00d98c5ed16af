import Foundation
import Histogram
import Testing
@testable import MCPWatchCore

@Suite struct MetricsStoreTests {
    func call(_ name: String, micros: UInt64, outcome: CallOutcome = .ok, at: MonotonicInstant, method: String = "tools/call") -> CompletedCall {
        CompletedCall(method: method, target: name, id: RequestID(1), outcome: outcome, durationNanos: micros * 1_000,
                      finishedAt: at, requestBytes: 100, responseBytes: 200, errorCode: outcome == .jsonrpcError ? -32602 : nil,
                      errorMessage: outcome == .ok ? nil : "bad")
    }

    /// The reference: nearest-rank percentile over the sorted values.
    func reference(_ sorted: [UInt64], _ p: Double) -> Double {
        // nextDown: 99.9 % of 1000 is 999, not 999.0000000000001 rounded up to 1000.
        let rank = max(1, Int((p / 100 * Double(sorted.count)).nextDown.rounded(.up)))
        return Double(sorted[rank - 1])
    }

    @Test(arguments: [1, 7, 1_000, 20_000])
    func percentilesMatchSortedReferenceWithinHistogramPrecision(count: Int) throws {
        let clock = ManualClock()
        let store = MetricsStore(clock: clock)
        var generator = SplitMix(seed: UInt64(count))
        var values: [UInt64] = []
        for _ in 0..<count {
            // Log-uniform from 1 µs to 10 s: exercises every magnitude.
            let v = UInt64(exp(Double(generator.next() % 1_000_000) / 1_000_000 * log(10_000_000.0)))
            values.append(max(1, v))
            store.record(call("t", micros: max(1, v), at: clock.now()))
        }
        values.sort()
        let t = try #require(store.report().targets.first)
        for (p, got) in [(50.0, t.p50Ms), (90, t.p90Ms), (95, t.p95Ms), (99, t.p99Ms), (99.9, t.p999Ms)] {
            let expected = reference(values, p) / 1_000
            let actual = try #require(got)
            // Per-target histograms keep 2 significant digits: within 1 % (plus one microsecond for the smallest).
            #expect(abs(actual - expected) <= expected * 0.01 + 0.001, "p\(p): \(actual) vs \(expected)")
        }
        #expect(t.minMs == Double(values.first!) / 1_000)
        #expect(t.maxMs == Double(values.last!) / 1_000)
        let mean = Double(values.reduce(0, +)) / Double(values.count) / 1_000
        #expect(abs(try #require(t.avgMs) - mean) < 1e-9 * max(1, mean))
    }

    /// The one-walk percentiles, and a target's ``LatencyHistogram``, must equal HdrHistogram's own
    /// `valueAtPercentile`, value for value.
    @Test(arguments: [1, 2, 3, 10, 127, 128, 129, 255, 256, 999, 1_000, 1_001, 50_000])
    func oneWalkPercentilesEqualValueAtPercentile(count: Int) {
        var h = Histogram<UInt64>(highestTrackableValue: TargetStats.highestTrackableMicros, numberOfSignificantValueDigits: TargetStats.significantDigits)
        var generator = SplitMix(seed: UInt64(count) &* 31)
        for i in 0..<count {
            // Mix clusters and a long tail, with repeats, so ranks fall on bucket edges too.
            let v: UInt64 = i % 7 == 0 ? 1 + generator.next() % 3_000_000_000 : 1 + generator.next() % (i % 2 == 0 ? 50 : 20_000)
            h.record(v)
        }
        var mine = LatencyHistogram()
        generator = SplitMix(seed: UInt64(count) &* 31)
        for i in 0..<count {
            let v: UInt64 = i % 7 == 0 ? 1 + generator.next() % 3_000_000_000 : 1 + generator.next() % (i % 2 == 0 ? 50 : 20_000)
            mine.record(v)
        }
        // A target's histogram (own layout, group totals) gives what HdrHistogram gives.
        let grouped = mine.percentiles()
        #expect(grouped.0 == h.valueAtPercentile(50))
        #expect(grouped.1 == h.valueAtPercentile(90))
        #expect(grouped.2 == h.valueAtPercentile(95))
        #expect(grouped.3 == h.valueAtPercentile(99))
        #expect(grouped.4 == h.valueAtPercentile(99.9))
        let walked = MetricsStore.percentiles(h)
        #expect(walked.0 == h.valueAtPercentile(50))
        #expect(walked.1 == h.valueAtPercentile(90))
        #expect(walked.2 == h.valueAtPercentile(95))
        #expect(walked.3 == h.valueAtPercentile(99))
        #expect(walked.4 == h.valueAtPercentile(99.9))
    }

    @Test func detailKeepsTheLastTenErrorsNewestFirstAndTheDistribution() throws {
        let clock = ManualClock()
        let store = MetricsStore(clock: clock)
        for i in 0..<25 {
            var c = call("resource://a//b", micros: UInt64(1_000 * (i + 1)), outcome: i % 2 == 0 ? .toolError : .ok, at: clock.now())
            c.errorMessage = "failure \(i)"
            store.record(c)
            clock.advance(seconds: 1)
        }
        let detail = try #require(store.targetDetail(name: "resource://a//b"))
        #expect(detail.recentErrors.map(\.message) == stride(from: 24, through: 6, by: -2).map { "failure \($0)" })
        #expect(detail.buckets.reduce(0) { $0 + $1.count } == 25)
        #expect(detail.buckets.count == DurationBuckets.boundsMicros.count + 1)
        // 1..25 ms: 1 in ≤1 ms, 1 in ≤2.5, 3 in ≤5, 5 in ≤10, 10 in ≤20, 5 in ≤50.
        #expect(detail.buckets.filter { $0.count > 0 }.map(\.count) == [1, 1, 3, 5, 10, 5])
    }

    @Test func countsOutcomesErrorsAndRecentWindow() throws {
        let clock = ManualClock()
        let store = MetricsStore(clock: clock)
        for i in 0..<150 {
            let outcome: CallOutcome = i % 10 == 0 ? .jsonrpcError : i % 10 == 1 ? .toolError : .ok
            store.record(call("search", micros: 1_000, outcome: outcome, at: clock.now()))
        }
        let r = store.report()
        let t = try #require(r.targets.first { $0.name == "search" })
        #expect(t.calls == 150)
        #expect(t.errors == 30)
        #expect(t.outcomes["jsonrpc_error"] == 15)
        #expect(t.outcomes["tool_error"] == 15)
        #expect(t.errorTypes == ["-32602": 15, "tool_error": 15])
        #expect(t.successRate == 80)
        #expect(t.recent.calls == 100)
        #expect(t.recent.successRate == 80)
        #expect(t.lastError?.message == "bad")
        #expect(r.overview.totalCalls == 150)
        #expect(r.overview.totalErrors == 30)
        #expect(t.requestBytes.total == 15_000)
        #expect(t.responseBytes.max == 200)
    }

    @Test func inFlightFollowsStartAndFinish() throws {
        let clock = ManualClock()
        let store = MetricsStore(clock: clock)
        let h1 = store.callStarted(method: "tools/call", target: "slow")
        _ = store.callStarted(method: "tools/call", target: "slow")
        #expect(store.report().overview.inFlight == 2)
        var done = call("slow", micros: 5, at: clock.now())
        done.handle = h1
        store.record(done)
        #expect(try #require(store.report().targets.first).inFlight == 1)
    }

    @Test func targetsBeyondTheLimitFoldIntoOther() {
        let clock = ManualClock()
        let store = MetricsStore(configuration: .init(maxTargets: 10), clock: clock)
        for i in 0..<1_000 { store.record(call("tool-\(i)", micros: 10, at: clock.now())) }
        let r = store.report()
        #expect(r.targets.count == 10)
        #expect(store.targetCount == 10)
        let other = r.targets.first { $0.name == "__other__" }
        #expect(other?.calls == 991)
        #expect(r.overview.totalCalls == 1_000)
    }

    @Test func ratesComeFromPerSecondBuckets() {
        let clock = ManualClock()
        let store = MetricsStore(clock: clock)
        // 10 calls a second for 120 seconds, then 5 minutes of silence.
        for _ in 0..<120 {
            for _ in 0..<10 { store.record(call("t", micros: 10, at: clock.now())) }
            clock.advance(seconds: 1)
        }
        var r = store.report()
        #expect(abs(r.overview.throughput.lastMinute - 10) < 0.5)
        clock.advance(seconds: 300)
        r = store.report()
        #expect(r.overview.throughput.lastMinute == 0)
        // Up for 420 s only: the 15-minute rate divides by the time there was, not by 900 s.
        #expect(abs(r.overview.throughput.last15Minutes - 1_200.0 / 420) < 0.01)
        #expect(r.overview.uptimeSeconds == 420)
    }

    @Test func reportIsStableWhenNothingChanges() {
        let clock = ManualClock()
        let store = MetricsStore(clock: clock)
        store.record(call("a", micros: 10, at: clock.now()))
        #expect(store.report().targets == store.report().targets)
        store.record(call("a", micros: 20, at: clock.now()))
        #expect(store.report().targets.first?.calls == 2)
    }

    @Test func reportRoundTripsThroughJSON() throws {
        let clock = ManualClock()
        let store = MetricsStore(clock: clock)
        store.record(call("a", micros: 1_234, at: clock.now()))
        store.recordAnomaly(.invalidJSON, direction: .clientToServer, at: clock.now(), sample: "junk")
        store.recordNotification(method: "notifications/initialized", direction: .clientToServer)
        let report = store.report()
        let data = try Report.encoder().encode(report)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""p50_ms":1.234"#))
        #expect(text.contains(#""last_used":"2027-01-15T08:00:00.000Z""#))
        #expect(try Report.decoder().decode(Report.self, from: data) == report)
    }
}

/// A small deterministic generator, so that test data is the same on every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

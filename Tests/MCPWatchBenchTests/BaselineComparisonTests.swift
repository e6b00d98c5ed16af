import Foundation
import Testing
@testable import MCPWatchBench

@Suite struct BaselineComparisonTests {
    func result(callsPerSecond: Double, p99: Double) -> BenchResult {
        let latency = BenchResult.Latency(min: 10, p50: 20, p90: 30, p99: p99, p99_9: p99 * 2, max: p99 * 3, mean: 25)
        return BenchResult(
            startedAt: "2025-01-01T00:00:00Z", command: ["server"], server: nil, tools: "echo", mode: "closed", concurrency: 1, rate: nil,
            maxInFlight: nil, timeoutMs: 30_000, warmupCalls: 0, calls: 1000, ok: 1000, errors: .init(), elapsedSeconds: 1,
            callsPerSecond: callsPerSecond, latencyUs: latency, latencyMs: latency.scaled(by: 1000), lateResponses: 0, unexpectedLines: 0,
            completed: true, failure: nil, comparison: nil)
    }

    @Test func withinTheAllowanceIsNoRegression() {
        let comparison = BaselineComparison(
            current: result(callsPerSecond: 9_500, p99: 105), baseline: .init(callsPerSecond: 10_000, p99Microseconds: 100),
            maxRegressionPercent: 10, baselineFile: "base.json")
        #expect(!comparison.isRegression)
        #expect(comparison.throughput.changePercent == -5)
        #expect(comparison.p99.changePercent == 5)
        #expect(comparison.text.contains("no regression"))
    }

    @Test func detectsAFallInThroughput() {
        let comparison = BaselineComparison(
            current: result(callsPerSecond: 8_000, p99: 100), baseline: .init(callsPerSecond: 10_000, p99Microseconds: 100),
            maxRegressionPercent: 10, baselineFile: "base.json")
        #expect(comparison.isRegression)
        #expect(comparison.regressions.count == 1)
        #expect(comparison.regressions[0].contains("throughput fell by 20.0%"))
    }

    @Test func detectsARiseInP99() {
        let comparison = BaselineComparison(
            current: result(callsPerSecond: 12_000, p99: 150), baseline: .init(callsPerSecond: 10_000, p99Microseconds: 100),
            maxRegressionPercent: 10, baselineFile: "base.json")
        #expect(comparison.isRegression)
        #expect(comparison.regressions.count == 1)
        #expect(comparison.regressions[0].contains("p99 latency rose by 50.0%"))
        #expect(comparison.text.contains("REGRESSION"))
    }

    @Test func betterFiguresAreNeverARegression() {
        let comparison = BaselineComparison(
            current: result(callsPerSecond: 20_000, p99: 10), baseline: .init(callsPerSecond: 10_000, p99Microseconds: 100),
            maxRegressionPercent: 0, baselineFile: "base.json")
        #expect(!comparison.isRegression)
    }

    @Test func readsBackItsOwnJSON() throws {
        let json = result(callsPerSecond: 1234.5, p99: 678).json()
        let figures = try BaselineComparison.Figures.parse(Data(json.utf8), source: "base.json")
        #expect(figures == .init(callsPerSecond: 1234.5, p99Microseconds: 678))
        // And the whole result round-trips.
        let decoded = try JSONDecoder().decode(BenchResult.self, from: Data(json.utf8))
        #expect(decoded == result(callsPerSecond: 1234.5, p99: 678))
    }

    @Test func namesWhatAnInvalidBaselineLacks() {
        let error = #expect(throws: BenchError.self) {
            try BaselineComparison.Figures.parse(Data(#"{"calls_per_second": 10}"#.utf8), source: "old.json")
        }
        #expect(error?.code == .invalidBaseline)
        #expect(error?.message.contains("old.json") == true)
        #expect(error?.message.contains("latency_us") == true)
        #expect(throws: BenchError.self) { try BaselineComparison.Figures.parse(Data("nope".utf8), source: "x") }
    }
}

import Foundation
import Testing
import MCPWatchCore
@testable import MCPWatchBench

@Suite struct BaselineComparisonTests {
    func result(callsPerSecond: Double, p99: Double, failed: Int = 0, concurrency: Int = 1) -> BenchResult {
        let latency = BenchResult.Latency(min: 10, p50: 20, p90: 30, p99: p99, p99_9: p99 * 2, max: p99 * 3, mean: 25)
        var errors = BenchResult.Errors()
        errors.toolError = failed
        return BenchResult(
            startedAt: "2025-01-01T00:00:00Z", command: ["server"], server: nil, tools: "echo", mode: "closed", concurrency: concurrency, rate: nil,
            maxInFlight: nil, timeoutMs: 30_000, warmupCalls: 0, calls: 1000, ok: 1000 - failed, errors: errors, elapsedSeconds: 1,
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
        #expect(figures == .init(callsPerSecond: 1234.5, p99Microseconds: 678, calls: 1000, ok: 1000, errors: 0, mode: "closed",
                                 concurrency: 1, rate: nil, tools: "echo"))
        // And the whole result round-trips.
        let decoded = try JSONDecoder().decode(BenchResult.self, from: Data(json.utf8))
        #expect(decoded == result(callsPerSecond: 1234.5, p99: 678))
    }

    @Test func namesWhatAnInvalidBaselineLacks() {
        let error = #expect(throws: WatchError.self) {
            try BaselineComparison.Figures.parse(Data(#"{"calls_per_second": 10}"#.utf8), source: "old.json")
        }
        #expect(error?.code == .invalidBaseline)
        #expect(error?.message.contains("old.json") == true)
        #expect(error?.message.contains("latency_us") == true)
        #expect(throws: WatchError.self) { try BaselineComparison.Figures.parse(Data("nope".utf8), source: "x") }
    }

    func figures(of run: BenchResult) throws -> BaselineComparison.Figures {
        try BaselineComparison.Figures.parse(Data(run.json().utf8), source: "base.json")
    }

    @Test func aRiseInFailedCallsIsARegression() throws {
        // Same speed, but half the calls now fail.
        let comparison = BaselineComparison(
            current: result(callsPerSecond: 10_000, p99: 100, failed: 500), baseline: try figures(of: result(callsPerSecond: 10_000, p99: 100)),
            maxRegressionPercent: 10, baselineFile: "base.json")
        #expect(comparison.errorRate == .init(baseline: 0, current: 50))
        #expect(comparison.regressions == ["the share of failed calls rose from 0.0% to 50.0% (allowed: a rise of at most 10.0%, or of less than 1.0 point)"])
        #expect(comparison.text.contains("failed      0.0% → 50.0% of calls"))
        // Less than a point more is noise.
        let small = BaselineComparison(
            current: result(callsPerSecond: 10_000, p99: 100, failed: 5), baseline: try figures(of: result(callsPerSecond: 10_000, p99: 100)),
            maxRegressionPercent: 10, baselineFile: "base.json")
        #expect(!small.isRegression)
    }

    @Test func aP99RiseOfAFewMicrosecondsIsNoise() {
        // 8 → 10 µs is 25 %, but 2 µs: timer noise.
        let comparison = BaselineComparison(
            current: result(callsPerSecond: 10_000, p99: 10), baseline: .init(callsPerSecond: 10_000, p99Microseconds: 8),
            maxRegressionPercent: 10, baselineFile: "base.json")
        #expect(comparison.p99.changePercent == 25)
        #expect(!comparison.isRegression)
    }

    @Test func aBaselineWithoutASuccessfulCallIsRefused() {
        var failedRun = result(callsPerSecond: 0, p99: 0, failed: 1000)
        failedRun.completed = false
        let error = #expect(throws: WatchError.self) { try figures(of: failedRun) }
        #expect(error?.code == .invalidBaseline)
        #expect(error?.message.contains("no call succeeded") == true)
        let notAnObject = #expect(throws: WatchError.self) { try BaselineComparison.Figures.parse(Data("[1]".utf8), source: "x") }
        #expect(notAnObject?.message.contains("it is not a JSON object") == true)
    }

    @Test func runsMadeDifferentlyAreComparedWithAWarning() throws {
        let comparison = BaselineComparison(
            current: result(callsPerSecond: 5_000, p99: 100, concurrency: 1),
            baseline: try figures(of: result(callsPerSecond: 10_000, p99: 100, concurrency: 4)),
            maxRegressionPercent: 10, baselineFile: "base.json")
        #expect(comparison.isRegression)
        #expect(comparison.warnings == ["the baseline was measured with concurrency 4, this run with 1: the figures may differ for that reason alone"])
        #expect(comparison.text.contains("warning: the baseline was measured with concurrency 4"))
        let alike = BaselineComparison(
            current: result(callsPerSecond: 10_000, p99: 100), baseline: try figures(of: result(callsPerSecond: 10_000, p99: 100)),
            maxRegressionPercent: 10, baselineFile: "base.json")
        #expect(alike.warnings.isEmpty)
    }
}

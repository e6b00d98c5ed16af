import Foundation
import MCPWatchCore

/// A run compared with an earlier `--json` result: did throughput fall, p99 latency rise, or the share of failed calls
/// rise, by more than allowed? Also says when the two runs were not made alike (mode, concurrency, rate, tools).
public struct BaselineComparison: Codable, Sendable, Equatable {
    /// One figure, then and now.
    public struct Change: Codable, Sendable, Equatable {
        /// In the baseline.
        public var baseline: Double
        /// In this run.
        public var current: Double
        /// `(current - baseline) / baseline × 100`; 0 when the baseline is 0.
        public var changePercent: Double

        /// Creates a change.
        public init(baseline: Double, current: Double) {
            self.baseline = baseline
            self.current = current
            self.changePercent = baseline > 0 ? (current - baseline) / baseline * 100 : 0
        }

        enum CodingKeys: String, CodingKey {
            case baseline, current, changePercent = "change_percent"
        }
    }

    /// The figures read from a baseline file: those that a comparison needs, so older and newer files still load.
    public struct Figures: Decodable, Sendable, Equatable {
        /// `calls_per_second`.
        public var callsPerSecond: Double
        /// `latency_us.p99`.
        public var p99Microseconds: Double
        /// `calls`, `ok` and the sum of `errors` (nil in files that lack them).
        public var calls: Int?
        public var ok: Int?
        public var errors: Int?
        /// How the run was made: `mode`, `concurrency`, `rate`, `tools` (nil in files that lack them).
        public var mode: String?
        public var concurrency: Int?
        public var rate: Double?
        public var tools: String?

        /// Creates figures.
        public init(callsPerSecond: Double, p99Microseconds: Double, calls: Int? = nil, ok: Int? = nil, errors: Int? = nil,
                    mode: String? = nil, concurrency: Int? = nil, rate: Double? = nil, tools: String? = nil) {
            self.callsPerSecond = callsPerSecond
            self.p99Microseconds = p99Microseconds
            self.calls = calls
            self.ok = ok
            self.errors = errors
            self.mode = mode
            self.concurrency = concurrency
            self.rate = rate
            self.tools = tools
        }

        private struct LatencyP99: Decodable { var p99: Double }

        enum CodingKeys: String, CodingKey {
            case callsPerSecond = "calls_per_second", latencyUs = "latency_us", calls, ok, errors, mode, concurrency, rate, tools
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            callsPerSecond = try container.decode(Double.self, forKey: .callsPerSecond)
            p99Microseconds = try container.decode(LatencyP99.self, forKey: .latencyUs).p99
            calls = try container.decodeIfPresent(Int.self, forKey: .calls)
            ok = try container.decodeIfPresent(Int.self, forKey: .ok)
            errors = try container.decodeIfPresent([String: Int].self, forKey: .errors).map { $0.values.reduce(0, +) }
            mode = try container.decodeIfPresent(String.self, forKey: .mode)
            concurrency = try container.decodeIfPresent(Int.self, forKey: .concurrency)
            rate = try container.decodeIfPresent(Double.self, forKey: .rate)
            tools = try container.decodeIfPresent(String.self, forKey: .tools)
        }

        /// Reads a `mcpwatch bench --json` result.
        /// - Throws: ``WatchError`` with code `invalidBaseline`, saying what is missing, or that the run it describes
        ///   answered no call (there is nothing to compare with).
        public static func parse(_ data: Data, source: String) throws(WatchError) -> Figures {
            let figures: Figures
            do {
                figures = try JSONDecoder().decode(Figures.self, from: data)
            } catch {
                throw WatchError(.invalidBaseline, "baseline \(source) is not a `mcpwatch bench --json` result "
                    + "(it needs calls_per_second and latency_us.p99): \(Self.reason(error))")
            }
            if figures.ok == 0 || (figures.ok == nil && figures.callsPerSecond <= 0) {
                throw WatchError(.invalidBaseline, "baseline \(source) is of a run in which no call succeeded: there is nothing to compare with")
            }
            return figures
        }

        private static func reason(_ error: any Error) -> String {
            switch error {
            case DecodingError.keyNotFound(let key, _): "missing \(key.stringValue)"
            case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
                context.codingPath.isEmpty
                    ? "it is not a JSON object"
                    : "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
            case DecodingError.dataCorrupted: "not valid JSON"
            default: "\(error)"
            }
        }
    }

    /// The baseline file's name.
    public var baselineFile: String
    /// The largest change allowed, in percent.
    public var maxRegressionPercent: Double
    /// Answered calls per second.
    public var throughput: Change
    /// p99 latency, in microseconds.
    public var p99: Change
    /// The share of measured calls that failed, in percent (nil when the baseline does not say).
    public var errorRate: Change?
    /// What regressed, one sentence each; empty when nothing did.
    public var regressions: [String]
    /// How the two runs were not made alike (mode, concurrency, rate, tools), one sentence each; empty when alike.
    public var warnings: [String]

    /// A rise in p99 smaller than this is timer noise, not a regression, whatever its percentage (8 → 10 µs is 25 %).
    public static let p99NoiseFloorMicroseconds: Double = 20
    /// A rise in the error rate smaller than this many points is not a regression, whatever its ratio.
    public static let errorRateFloorPoints: Double = 1

    enum CodingKeys: String, CodingKey {
        case baselineFile = "baseline_file", maxRegressionPercent = "max_regression_percent", throughput
        case p99 = "p99_us", errorRate = "error_rate_percent", regressions, warnings
    }

    /// Whether throughput fell or p99 rose by more than allowed.
    public var isRegression: Bool { !regressions.isEmpty }

    /// Compares a run with a baseline.
    /// - Parameters:
    ///   - current: this run.
    ///   - baseline: the earlier run's figures.
    ///   - maxRegressionPercent: the largest fall in throughput, or rise in p99, that is not a regression.
    ///   - baselineFile: the file's name, for messages.
    public init(current: BenchResult, baseline: Figures, maxRegressionPercent: Double, baselineFile: String) {
        self.baselineFile = baselineFile
        self.maxRegressionPercent = maxRegressionPercent
        throughput = Change(baseline: baseline.callsPerSecond, current: current.callsPerSecond)
        p99 = Change(baseline: baseline.p99Microseconds, current: current.latencyUs.p99)
        if let calls = baseline.calls, let errors = baseline.errors, calls > 0 {
            errorRate = Change(baseline: Double(errors) / Double(calls) * 100,
                               current: current.calls > 0 ? Double(current.errors.total) / Double(current.calls) * 100 : 0)
        }
        var regressions: [String] = []
        if -throughput.changePercent > maxRegressionPercent {
            regressions.append("throughput fell by \(format1(-throughput.changePercent))%: "
                + "\(format1(throughput.baseline)) → \(format1(throughput.current)) calls/s (allowed: \(format1(maxRegressionPercent))%)")
        }
        if p99.changePercent > maxRegressionPercent, p99.current - p99.baseline >= Self.p99NoiseFloorMicroseconds {
            regressions.append("p99 latency rose by \(format1(p99.changePercent))%: "
                + "\(Int(p99.baseline)) → \(Int(p99.current)) µs (allowed: \(format1(maxRegressionPercent))%)")
        }
        if let errorRate, errorRate.current - errorRate.baseline >= Self.errorRateFloorPoints,
           errorRate.current > errorRate.baseline * (1 + maxRegressionPercent / 100) {
            regressions.append("the share of failed calls rose from \(format1(errorRate.baseline))% to \(format1(errorRate.current))% "
                + "(allowed: a rise of at most \(format1(maxRegressionPercent))%, or of less than \(format1(Self.errorRateFloorPoints)) point)")
        }
        self.regressions = regressions

        var warnings: [String] = []
        func differs(_ what: String, _ then: String?, _ now: String?) {
            guard let then, let now, then != now else { return }
            warnings.append("the baseline was measured with \(what) \(then), this run with \(now): the figures may differ for that reason alone")
        }
        differs("mode", baseline.mode, current.mode)
        differs("concurrency", baseline.concurrency.map(String.init), current.concurrency.map(String.init))
        differs("rate", baseline.rate.map { String(format1($0)) }, current.rate.map { String(format1($0)) })
        differs("tools", baseline.tools, current.tools)
        self.warnings = warnings
    }

    /// The comparison for people, a few lines.
    public var text: String {
        func signed(_ value: Double) -> String { (value >= 0 ? "+" : "") + format1(value) + "%" }
        var lines = [
            "compared with \(baselineFile) (max regression \(format1(maxRegressionPercent))%):",
            "  throughput  \(format1(throughput.baseline)) → \(format1(throughput.current)) calls/s (\(signed(throughput.changePercent)))",
            "  p99         \(Int(p99.baseline)) → \(Int(p99.current)) µs (\(signed(p99.changePercent)))",
        ]
        if let errorRate {
            lines.append("  failed      \(format1(errorRate.baseline))% → \(format1(errorRate.current))% of calls")
        }
        lines += warnings.map { "  warning: \($0)" }
        lines.append(regressions.isEmpty ? "  no regression" : regressions.map { "  REGRESSION: \($0)" }.joined(separator: "\n"))
        return lines.joined(separator: "\n")
    }
}

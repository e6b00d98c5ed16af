import Foundation

/// A run compared with an earlier `--json` result: did throughput fall, or p99 latency rise, by more than allowed?
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

        /// Creates figures.
        public init(callsPerSecond: Double, p99Microseconds: Double) {
            self.callsPerSecond = callsPerSecond
            self.p99Microseconds = p99Microseconds
        }

        private struct LatencyP99: Decodable { var p99: Double }

        enum CodingKeys: String, CodingKey {
            case callsPerSecond = "calls_per_second", latencyUs = "latency_us"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            callsPerSecond = try container.decode(Double.self, forKey: .callsPerSecond)
            p99Microseconds = try container.decode(LatencyP99.self, forKey: .latencyUs).p99
        }

        /// Reads a `mcpwatch bench --json` result.
        /// - Throws: ``BenchError`` with code `invalidBaseline`, saying what is missing.
        public static func parse(_ data: Data, source: String) throws(BenchError) -> Figures {
            do {
                return try JSONDecoder().decode(Figures.self, from: data)
            } catch {
                throw BenchError(.invalidBaseline, "baseline \(source) is not a `mcpwatch bench --json` result "
                    + "(it needs calls_per_second and latency_us.p99): \(Self.reason(error))")
            }
        }

        private static func reason(_ error: any Error) -> String {
            switch error {
            case DecodingError.keyNotFound(let key, _): "missing \(key.stringValue)"
            case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
                "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
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
    /// What regressed, one sentence each; empty when nothing did.
    public var regressions: [String]

    enum CodingKeys: String, CodingKey {
        case baselineFile = "baseline_file", maxRegressionPercent = "max_regression_percent", throughput
        case p99 = "p99_us", regressions
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
        var regressions: [String] = []
        if -throughput.changePercent > maxRegressionPercent {
            regressions.append("throughput fell by \(format1(-throughput.changePercent))%: "
                + "\(format1(throughput.baseline)) → \(format1(throughput.current)) calls/s (allowed: \(format1(maxRegressionPercent))%)")
        }
        if p99.changePercent > maxRegressionPercent {
            regressions.append("p99 latency rose by \(format1(p99.changePercent))%: "
                + "\(Int(p99.baseline)) → \(Int(p99.current)) µs (allowed: \(format1(maxRegressionPercent))%)")
        }
        self.regressions = regressions
    }

    /// The comparison for people, a few lines.
    public var text: String {
        func signed(_ value: Double) -> String { (value >= 0 ? "+" : "") + format1(value) + "%" }
        var lines = [
            "compared with \(baselineFile) (max regression \(format1(maxRegressionPercent))%):",
            "  throughput  \(format1(throughput.baseline)) → \(format1(throughput.current)) calls/s (\(signed(throughput.changePercent)))",
            "  p99         \(Int(p99.baseline)) → \(Int(p99.current)) µs (\(signed(p99.changePercent)))",
        ]
        lines.append(regressions.isEmpty ? "  no regression" : regressions.map { "  REGRESSION: \($0)" }.joined(separator: "\n"))
        return lines.joined(separator: "\n")
    }
}

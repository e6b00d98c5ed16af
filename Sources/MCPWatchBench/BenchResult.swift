import Foundation

/// The outcome of a run: what `mcpwatch bench --json` prints, and what `--baseline` reads back.
///
/// Only measured calls count (not warmup). `calls` = `ok` + every error kind. Throughput and latency count the
/// calls that were answered (`ok`, `tool_error`, `jsonrpc_error`); timeouts, transport failures and overloads are
/// errors without a latency.
public struct BenchResult: Codable, Sendable, Equatable {
    /// The value of ``format``.
    public static let currentFormat = "mcpwatch-bench/1"

    /// Counts of failed calls by kind.
    public struct Errors: Codable, Sendable, Equatable {
        /// Answered with a JSON-RPC error.
        public var jsonrpcError = 0
        /// Answered with a result whose `isError` is true.
        public var toolError = 0
        /// Not answered within the timeout.
        public var timeout = 0
        /// Lost because the connection to the server broke (it exited, or closed its input or output).
        public var transport = 0
        /// Not sent, because `max_in_flight` calls were already waiting (open loop only).
        public var overload = 0

        /// Creates empty counts.
        public init() {}

        /// All failed calls.
        public var total: Int { jsonrpcError + toolError + timeout + transport + overload }

        enum CodingKeys: String, CodingKey {
            case jsonrpcError = "jsonrpc_error", toolError = "tool_error", timeout, transport, overload
        }
    }

    /// Latency of answered calls, in one unit.
    public struct Latency: Codable, Sendable, Equatable {
        public var min: Double
        public var p50: Double
        public var p90: Double
        public var p99: Double
        public var p99_9: Double
        public var max: Double
        public var mean: Double

        /// All zero (no answered call).
        public static let zero = Latency(min: 0, p50: 0, p90: 0, p99: 0, p99_9: 0, max: 0, mean: 0)

        /// Creates a summary.
        public init(min: Double, p50: Double, p90: Double, p99: Double, p99_9: Double, max: Double, mean: Double) {
            self.min = min
            self.p50 = p50
            self.p90 = p90
            self.p99 = p99
            self.p99_9 = p99_9
            self.max = max
            self.mean = mean
        }

        /// The same figures divided by `divisor` (µs to ms).
        public func scaled(by divisor: Double) -> Latency {
            Latency(min: min / divisor, p50: p50 / divisor, p90: p90 / divisor, p99: p99 / divisor,
                    p99_9: p99_9 / divisor, max: max / divisor, mean: mean / divisor)
        }

        enum CodingKeys: String, CodingKey {
            case min, p50, p90, p99, p99_9 = "p99_9", max, mean
        }
    }

    /// The server, as its `initialize` answer names it.
    public struct Server: Codable, Sendable, Equatable {
        public var name: String?
        public var version: String?
        public var protocolVersion: String?

        /// Creates a server description.
        public init(name: String?, version: String?, protocolVersion: String?) {
            self.name = name
            self.version = version
            self.protocolVersion = protocolVersion
        }

        enum CodingKeys: String, CodingKey {
            case name, version, protocolVersion = "protocol_version"
        }
    }

    /// `mcpwatch-bench/1`.
    public var format = Self.currentFormat
    /// When the run started (ISO 8601, UTC).
    public var startedAt: String
    /// The server command, when the command line started one.
    public var command: [String]?
    /// The Streamable HTTP endpoint, when `--url` was given.
    public var url: String?
    /// The server.
    public var server: Server?
    /// The tools called: `echo`, or `echo×3, noop×1` for a mix.
    public var tools: String
    /// `closed` (fixed concurrency) or `open` (fixed rate).
    public var mode: String
    /// Calls kept in flight (closed loop).
    public var concurrency: Int?
    /// Calls started per second (open loop).
    public var rate: Double?
    /// The cap on unanswered calls (open loop).
    public var maxInFlight: Int?
    /// The per-call timeout, in milliseconds.
    public var timeoutMs: Double
    /// Calls made during warmup, not measured.
    public var warmupCalls: Int
    /// Measured calls: ok plus errors.
    public var calls: Int
    /// Calls answered with a result that is not a tool error.
    public var ok: Int
    /// Failed calls by kind.
    public var errors: Errors
    /// Seconds from the start of the measured phase to the end of its last call.
    public var elapsedSeconds: Double
    /// Answered calls per second of `elapsed_seconds`.
    public var callsPerSecond: Double
    /// Latency of answered calls, in microseconds (HdrHistogram, 3 significant digits). All zero, and left out of
    /// the JSON, when no call was answered.
    public var latencyUs: Latency
    /// The same, in milliseconds.
    public var latencyMs: Latency
    /// Answers that came after their call had timed out (ignored).
    public var lateResponses: Int
    /// Lines from the server that were not JSON-RPC, or answered no call of ours (ignored).
    public var unexpectedLines: Int
    /// False when the run ended early (see `failure`).
    public var completed: Bool
    /// Why the run ended early, or null.
    public var failure: String?
    /// The comparison with `--baseline`, when one was given.
    public var comparison: BaselineComparison?
    /// The first failed answer of each kind (`jsonrpc_error`, `tool_error`) as the server worded it; nil without any.
    public var errorExamples: [String: String]? = nil

    enum CodingKeys: String, CodingKey {
        case format, startedAt = "started_at", command, url, server, tools, mode, concurrency, rate
        case maxInFlight = "max_in_flight", timeoutMs = "timeout_ms", warmupCalls = "warmup_calls", calls, ok, errors
        case elapsedSeconds = "elapsed_seconds", callsPerSecond = "calls_per_second", latencyUs = "latency_us"
        case latencyMs = "latency_ms", lateResponses = "late_responses", unexpectedLines = "unexpected_lines"
        case completed, failure, comparison, errorExamples = "error_examples"
    }

    /// As the synthesized encoding (nil fields left out), and latency left out when no call was answered: zeros
    /// would read as measured.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(format, forKey: .format)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encodeIfPresent(command, forKey: .command)
        try c.encodeIfPresent(url, forKey: .url)
        try c.encodeIfPresent(server, forKey: .server)
        try c.encode(tools, forKey: .tools)
        try c.encode(mode, forKey: .mode)
        try c.encodeIfPresent(concurrency, forKey: .concurrency)
        try c.encodeIfPresent(rate, forKey: .rate)
        try c.encodeIfPresent(maxInFlight, forKey: .maxInFlight)
        try c.encode(timeoutMs, forKey: .timeoutMs)
        try c.encode(warmupCalls, forKey: .warmupCalls)
        try c.encode(calls, forKey: .calls)
        try c.encode(ok, forKey: .ok)
        try c.encode(errors, forKey: .errors)
        try c.encode(elapsedSeconds, forKey: .elapsedSeconds)
        try c.encode(callsPerSecond, forKey: .callsPerSecond)
        if answered > 0 {
            try c.encode(latencyUs, forKey: .latencyUs)
            try c.encode(latencyMs, forKey: .latencyMs)
        }
        try c.encode(lateResponses, forKey: .lateResponses)
        try c.encode(unexpectedLines, forKey: .unexpectedLines)
        try c.encode(completed, forKey: .completed)
        try c.encodeIfPresent(failure, forKey: .failure)
        try c.encodeIfPresent(comparison, forKey: .comparison)
        try c.encodeIfPresent(errorExamples, forKey: .errorExamples)
    }

    /// Answered calls (`ok` + `tool_error` + `jsonrpc_error`).
    public var answered: Int { ok + errors.toolError + errors.jsonrpcError }

    /// The result as one line of JSON (keys sorted, so that results diff well).
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain structs of numbers and strings cannot fail; an empty object would be a bug, not input.
        let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

extension BenchResult {
    /// As the synthesized decoding, with latency all zero when it was left out (no call was answered).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decode(String.self, forKey: .format)
        startedAt = try c.decode(String.self, forKey: .startedAt)
        command = try c.decodeIfPresent([String].self, forKey: .command)
        url = try c.decodeIfPresent(String.self, forKey: .url)
        server = try c.decodeIfPresent(Server.self, forKey: .server)
        tools = try c.decode(String.self, forKey: .tools)
        mode = try c.decode(String.self, forKey: .mode)
        concurrency = try c.decodeIfPresent(Int.self, forKey: .concurrency)
        rate = try c.decodeIfPresent(Double.self, forKey: .rate)
        maxInFlight = try c.decodeIfPresent(Int.self, forKey: .maxInFlight)
        timeoutMs = try c.decode(Double.self, forKey: .timeoutMs)
        warmupCalls = try c.decode(Int.self, forKey: .warmupCalls)
        calls = try c.decode(Int.self, forKey: .calls)
        ok = try c.decode(Int.self, forKey: .ok)
        errors = try c.decode(Errors.self, forKey: .errors)
        elapsedSeconds = try c.decode(Double.self, forKey: .elapsedSeconds)
        callsPerSecond = try c.decode(Double.self, forKey: .callsPerSecond)
        latencyUs = try c.decodeIfPresent(Latency.self, forKey: .latencyUs) ?? .zero
        latencyMs = try c.decodeIfPresent(Latency.self, forKey: .latencyMs) ?? .zero
        lateResponses = try c.decode(Int.self, forKey: .lateResponses)
        unexpectedLines = try c.decode(Int.self, forKey: .unexpectedLines)
        completed = try c.decode(Bool.self, forKey: .completed)
        failure = try c.decodeIfPresent(String.self, forKey: .failure)
        comparison = try c.decodeIfPresent(BaselineComparison.self, forKey: .comparison)
        errorExamples = try c.decodeIfPresent([String: String].self, forKey: .errorExamples)
    }
}

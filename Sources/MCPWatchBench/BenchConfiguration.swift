import MCPWatchCore

/// What a benchmark run does: which calls, offered how, for how long.
public struct BenchConfiguration: Sendable, Equatable {
    /// How load is offered.
    public enum Load: Sendable, Equatable {
        /// A closed loop: this many calls always in flight, the next sent as soon as one is answered.
        case closed(concurrency: Int)
        /// An open loop: calls start on a fixed schedule, whether or not earlier ones were answered; latency counts
        /// from the scheduled start (coordinated omission corrected, as wrk2 does). With `maxInFlight` calls
        /// unanswered, further calls are not sent and count as `overload` errors.
        case open(rate: Double, maxInFlight: Int)
    }

    /// The tools called.
    public var mix: ToolMix
    /// How load is offered.
    public var load: Load
    /// The measured phase: a duration or a number of calls.
    public var length: BenchSpan
    /// A phase before it whose calls are not measured, or nil.
    public var warmup: BenchSpan?
    /// How long a call may wait for its answer before it counts as a `timeout` error.
    public var timeout: Duration
    /// How long the server has to answer `initialize` (it may be starting up: `uvx` may first download it).
    public var handshakeTimeout: Duration

    /// Creates a configuration.
    /// - Throws: ``WatchError`` with code `invalidArgument` for a value out of range.
    public init(mix: ToolMix, load: Load = .closed(concurrency: 1), length: BenchSpan = .duration(.seconds(10)),
                warmup: BenchSpan? = nil, timeout: Duration = .seconds(30), handshakeTimeout: Duration = .seconds(60)) throws(WatchError) {
        switch load {
        case .closed(let concurrency):
            guard concurrency >= 1 && concurrency <= 100_000 else {
                throw WatchError(.invalidArgument, "--concurrency must be from 1 to 100000, not \(concurrency)")
            }
        case .open(let rate, let maxInFlight):
            guard rate.isFinite && rate > 0 && rate <= 10_000_000 else {
                throw WatchError(.invalidArgument, "--rate must be a number of calls per second above 0 (at most 10000000)")
            }
            guard maxInFlight >= 1 && maxInFlight <= 1_000_000 else {
                throw WatchError(.invalidArgument, "--max-in-flight must be from 1 to 1000000, not \(maxInFlight)")
            }
        }
        for (span, option) in [(length, length.isCalls ? "--requests" : "--duration")] + (warmup.map { [($0, "--warmup")] } ?? []) {
            if case .calls(let n) = span, n < 1 { throw WatchError(.invalidArgument, "\(option) must be at least 1 call, not \(n)") }
            if case .duration(let d) = span, d <= .zero { throw WatchError(.invalidArgument, "\(option) must be above zero") }
        }
        guard timeout > .zero, handshakeTimeout > .zero else { throw WatchError(.invalidArgument, "--timeout must be above zero") }
        guard !mix.entries.isEmpty else { throw WatchError(.invalidArgument, "no tool to call") }
        self.mix = mix
        self.load = load
        self.length = length
        self.warmup = warmup
        self.timeout = timeout
        self.handshakeTimeout = handshakeTimeout
    }
}

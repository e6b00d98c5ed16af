/// A token bucket: `burst` tokens at most, refilled at `rate` tokens a second; a call takes one.
public struct TokenBucket: Sendable, Equatable {
    /// Tokens added per second.
    public let rate: Double
    /// Tokens held at most (and at the start).
    public let burst: Double
    private var tokens: Double
    private var updatedAt: MonotonicInstant?

    /// Creates a full bucket.
    public init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = burst
        self.tokens = burst
    }

    /// What taking a token said.
    public enum Decision: Sendable, Equatable {
        /// A token was taken.
        case allowed
        /// No token: try again after this long (when one will be there, if nobody else takes it).
        case limited(retryAfter: Duration)
    }

    /// The tokens there are at `now`.
    public func available(now: MonotonicInstant) -> Double {
        guard let updatedAt, now > updatedAt else { return tokens }
        return min(burst, tokens + Double(now.nanoseconds(since: updatedAt)) / 1e9 * rate)
    }

    /// Whether a token could be taken now (without taking it), and if not, how long until one can.
    public mutating func check(now: MonotonicInstant, cost: Double = 1) -> Decision {
        refill(now: now)
        if tokens >= cost { return .allowed }
        guard rate > 0 else { return .limited(retryAfter: .seconds(3_600)) }
        let seconds = (cost - tokens) / rate
        // Rounded up to the next millisecond, so that a client waiting this long always finds its token.
        return .limited(retryAfter: .milliseconds(Int64((seconds * 1_000).rounded(.up))))
    }

    /// Takes a token if there is one.
    public mutating func take(now: MonotonicInstant, cost: Double = 1) -> Decision {
        let decision = check(now: now, cost: cost)
        if decision == .allowed { tokens -= cost }
        return decision
    }

    /// Whether the bucket is full at `now` (then it is the same as a new one and need not be kept).
    public func isFull(now: MonotonicInstant) -> Bool { available(now: now) >= burst }

    private mutating func refill(now: MonotonicInstant) {
        tokens = available(now: now)
        updatedAt = max(updatedAt ?? now, now)
    }
}

import Testing
@testable import MCPWatchCore

@Suite struct TrafficTokenBucketTests {
    let t0 = MonotonicInstant(nanoseconds: 1_000_000_000)
    func at(_ seconds: Double) -> MonotonicInstant { t0.advanced(byNanoseconds: UInt64(seconds * 1e9)) }

    @Test func burstThenRateWithRetryHint() {
        var bucket = TokenBucket(rate: 2, burst: 3)
        for _ in 0..<3 { #expect(bucket.take(now: t0) == .allowed) }
        #expect(bucket.take(now: t0) == .limited(retryAfter: .milliseconds(500)))
        #expect(bucket.take(now: at(0.25)) == .limited(retryAfter: .milliseconds(250)))
        #expect(bucket.take(now: at(0.5)) == .allowed)
        // A long quiet spell refills up to the burst, not beyond.
        #expect(bucket.available(now: at(100)) == 3)
        #expect(bucket.isFull(now: at(100)))
    }

    @Test func clockGoingBackwardsNeverAddsTokens() {
        var bucket = TokenBucket(rate: 1, burst: 1)
        #expect(bucket.take(now: at(10)) == .allowed)
        #expect(bucket.take(now: at(5)) != .allowed)
    }

    @Test func rateLimiterChecksEveryBucketBeforeTakingAny() {
        var limits = TrafficPolicy.RateLimits()
        limits.server = .init(rate: 100, burst: 100)
        limits.client = .init(rate: 1, burst: 2)
        limits.tools["search"] = .init(rate: 1, burst: 1)
        var limiter = RateLimiter(limits: limits)
        #expect(limiter.take(tool: "search", client: "a", now: t0) == nil)
        let limited = limiter.take(tool: "search", client: "a", now: t0)
        #expect(limited?.scope == "tool:search")
        #expect(limited?.retryAfter == .seconds(1))
        // The refusal took no token from the client's bucket: one is left for another tool.
        #expect(limiter.take(tool: "other", client: "a", now: t0) == nil)
        #expect(limiter.take(tool: "other", client: "a", now: t0)?.scope == "client")
        // Another client has its own bucket.
        #expect(limiter.take(tool: "other", client: "b", now: t0) == nil)
    }

    @Test func clientBucketsAreBounded() {
        var limits = TrafficPolicy.RateLimits()
        limits.client = .init(rate: 1, burst: 5)
        var limiter = RateLimiter(limits: limits, maxClients: 100)
        for client in 0..<10_000 { #expect(limiter.take(tool: nil, client: "c\(client)", now: t0) == nil) }
        #expect(limiter.clientCount <= 100)
    }
}

import Foundation
import Testing
@testable import MCPWatchCore

@Suite struct TrafficErrorResponseTests {
    func decode(_ bytes: [UInt8]) throws -> [String: Any] {
        #expect(bytes.last == 0x0A)
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func everyOutcomeHasItsOwnCodeInTheImplementationRange() {
        let codes = TrafficOutcome.allCases.compactMap(\.errorCode)
        #expect(codes.count == TrafficOutcome.allCases.count - 1)
        #expect(Set(codes).count == codes.count)
        #expect(codes.allSatisfy { (-32019 ... -32000).contains($0) })
        #expect(!codes.contains(JSONRPCErrorCode.serverExited) && !codes.contains(JSONRPCErrorCode.responseTooLarge) && !codes.contains(JSONRPCErrorCode.upstreamUnavailable))
    }

    @Test func rateLimitedSaysWhenToRetry() throws {
        let limited = RateLimiter.Limited(scope: "tool:search", retryAfter: .milliseconds(1_200), limit: .init(rate: 0.5, burst: 5))
        let body = try decode(TrafficErrorResponse.rateLimited(id: RequestID(json: "\"abc\""), limited: limited))
        #expect(body["id"] as? String == "abc")
        let error = try #require(body["error"] as? [String: Any])
        #expect(error["code"] as? Int == TrafficErrorCode.rateLimited)
        #expect((error["message"] as? String)?.contains("retry after 1.2s") == true)
        let data = try #require(error["data"] as? [String: Any])
        #expect(data["outcome"] as? String == "rate_limited" && data["source"] as? String == "mcpwatch")
        #expect(data["retryAfterMs"] as? Int == 1_200 && data["scope"] as? String == "tool:search")
        #expect(data["rate"] as? Double == 0.5 && data["burst"] as? Int == 5)
    }

    @Test func theOtherAnswers() throws {
        let full = try decode(TrafficErrorResponse.queueFull(id: RequestID(3), maxQueued: 50))
        #expect((full["error"] as? [String: Any])?["code"] as? Int == TrafficErrorCode.queueFull)
        #expect(((full["error"] as? [String: Any])?["data"] as? [String: Any])?["maxQueued"] as? Int == 50)
        let out = try decode(TrafficErrorResponse.queuedOut(id: RequestID(4), waited: .seconds(10), timeout: .seconds(10)))
        #expect(((out["error"] as? [String: Any])?["data"] as? [String: Any])?["outcome"] as? String == "queued_out")
        let slow = try decode(TrafficErrorResponse.timedOut(id: RequestID(5), timeout: .seconds(30)))
        #expect(((slow["error"] as? [String: Any])?["data"] as? [String: Any])?["timeoutMs"] as? Int == 30_000)
        let open = try decode(TrafficErrorResponse.circuitOpen(id: RequestID(6), breaker: "tool:\"odd\"", retryAfter: .nanoseconds(1)))
        let data = try #require((open["error"] as? [String: Any])?["data"] as? [String: Any])
        #expect(data["breaker"] as? String == "tool:\"odd\"" && data["retryAfterMs"] as? Int == 1)
    }
}

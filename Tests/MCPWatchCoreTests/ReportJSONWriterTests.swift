import Foundation
import Testing
@testable import MCPWatchCore

@Suite struct ReportJSONWriterTests {
    /// A report with every kind of target field: errors, hostile names, control characters, unicode, no calls.
    func report() -> Report {
        let clock = ManualClock()
        let store = MetricsStore(clock: clock)
        store.updateSession { $0.server = PeerInfo(name: "demo \"server\"", version: "1") }
        for i in 0..<50 {
            store.record(CompletedCall(method: "tools/call", target: "echo", id: RequestID(i), outcome: i % 5 == 0 ? .toolError : .ok,
                                       durationNanos: UInt64(100_000 + i * 7_919), finishedAt: clock.now(), requestBytes: 120, responseBytes: 480,
                                       errorMessage: i % 5 == 0 ? "failed:\n\t\u{1}\"why\" \\ é 🚀" : nil))
            clock.advance(seconds: 0.123)
        }
        store.record(CompletedCall(method: "tools/call", target: "bad\"name\\with\nnewline/ünï", id: RequestID(99), outcome: .jsonrpcError,
                                   durationNanos: 2_000_000, finishedAt: clock.now(), errorCode: -32602, errorMessage: "nope"))
        store.record(CompletedCall(method: "tools/list", target: nil, id: RequestID(100), outcome: .ok, durationNanos: 1_000, finishedAt: clock.now()))
        store.callStarted(method: "tools/call", target: "never_answered")
        store.recordNotification(method: "notifications/progress", direction: .serverToClient)
        store.recordAnomaly(.invalidJSON, direction: .clientToServer, at: clock.now(), sample: "{oops")
        return store.report()
    }

    @Test func writesTheSameJSONAsTheEncoder() throws {
        let report = report()
        let fast = try ReportJSONWriter.data(report)
        let slow = try Report.encoder().encode(report)
        let fastObject = try JSONSerialization.jsonObject(with: fast) as? NSDictionary
        let slowObject = try JSONSerialization.jsonObject(with: slow) as? NSDictionary
        #expect(fastObject != nil)
        #expect(fastObject == slowObject)
        let decoded = try Report.decoder().decode(Report.self, from: fast)
        #expect(decoded == (try Report.decoder().decode(Report.self, from: slow)))
        #expect(decoded.targets.count == 4)
        #expect(decoded.targets.contains { $0.name == "bad\"name\\with\nnewline/ünï" })
    }

    @Test func rfc3339MatchesFoundation() {
        var generator = SplitMix(seed: 7)
        for _ in 0..<2_000 {
            // From 1970 to 2100, with fractions that sit near millisecond edges.
            let seconds = Double(generator.next() % 4_102_444_800) + Double(generator.next() % 1_000_000) / 1_000_000
            let date = Date(timeIntervalSince1970: seconds)
            #expect(RFC3339.string(from: date) == RFC3339.foundationString(from: date), "\(seconds)")
        }
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
    }
}

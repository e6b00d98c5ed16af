import Foundation
import Testing
@testable import MCPWatchCore

@Suite struct TrafficCircuitBreakerTests {
    func settings(failures: Int? = nil, rate: Double? = nil, minCalls: Int = 4, probes: Int = 2) -> TrafficPolicy.BreakerSettings {
        var s = TrafficPolicy.BreakerSettings()
        s.consecutiveFailures = failures
        s.errorRatePercent = rate
        s.minimumCalls = minCalls
        s.window = .seconds(10)
        s.coolDown = .seconds(30)
        s.probes = probes
        return s
    }

    @Test func fiveFailuresOpenThenProbesClose() {
        let clock = ManualClock()
        var breaker = CircuitBreaker(name: "tool:flaky", settings: settings(failures: 5), clock: clock)
        var events: [BreakerTransition] = []
        for i in 0..<5 {
            let (admission, event) = breaker.admit()
            #expect(admission == .allowed && event == nil)
            if let e = breaker.record(success: false, admission: admission) { events.append(e) }
            #expect(breaker.state == (i < 4 ? .closed : .open))
        }
        #expect(events.count == 1)
        let opened = events[0]
        #expect(opened.from == .closed && opened.to == .open && opened.reason == .consecutiveFailures)
        #expect(opened.value == 5 && opened.threshold == 5)
        #expect(opened.breaker == "tool:flaky" && opened.method == "tools/call" && opened.target == "flaky")
        #expect(opened.at == clock.wallNow())
        #expect(opened.retryAt == clock.wallNow().addingTimeInterval(30))
        #expect(opened.summary.contains("5 failures in a row"))

        clock.advance(seconds: 10)
        #expect(breaker.admit().0 == .rejected(retryAfter: .seconds(20)))
        clock.advance(seconds: 20)
        let (probe1, halfOpen) = breaker.admit()
        #expect(probe1 == .probe && halfOpen?.to == .halfOpen && halfOpen?.reason == .coolDownOver)
        let (probe2, none) = breaker.admit()
        #expect(probe2 == .probe && none == nil)
        // Both probes are out: others are still turned away.
        if case .rejected = breaker.admit().0 {} else { Issue.record("a third call went through while half-open") }
        #expect(breaker.record(success: true, admission: probe1) == nil)
        let closed = breaker.record(success: true, admission: probe2)
        #expect(closed?.from == .halfOpen && closed?.to == .closed && closed?.reason == .probesSucceeded)
        #expect(breaker.state == .closed)
        #expect(closed!.sequence == opened.sequence + 2)
    }

    @Test func aFailedProbeOpensAgain() {
        let clock = ManualClock()
        var breaker = CircuitBreaker(name: "server", settings: settings(failures: 1, probes: 1), clock: clock)
        _ = breaker.record(success: false, admission: breaker.admit().0)
        #expect(breaker.state == .open)
        clock.advance(seconds: 30)
        let (probe, _) = breaker.admit()
        let event = breaker.record(success: false, admission: probe)
        #expect(event?.from == .halfOpen && event?.to == .open && event?.reason == .probeFailed)
        #expect(event?.method == nil && event?.target == nil)
        #expect(breaker.admit().0 == .rejected(retryAfter: .seconds(30)))
    }

    @Test func callsFromBeforeTheOpeningAreNotCounted() {
        let clock = ManualClock()
        var breaker = CircuitBreaker(name: "server", settings: settings(failures: 2, probes: 1), clock: clock)
        let early = breaker.admit().0
        _ = breaker.record(success: false, admission: breaker.admit().0)
        _ = breaker.record(success: false, admission: breaker.admit().0)
        #expect(breaker.state == .open)
        clock.advance(seconds: 30)
        let (probe, _) = breaker.admit()
        // A call let through while closed answers now: it says nothing about the probe.
        #expect(breaker.record(success: false, admission: early) == nil)
        #expect(breaker.state == .halfOpen)
        #expect(breaker.record(success: true, admission: probe)?.to == .closed)
    }

    @Test func errorRateNeedsMinimumCallsInTheWindow() {
        let clock = ManualClock()
        var breaker = CircuitBreaker(name: "server", settings: settings(rate: 50, minCalls: 4), clock: clock)
        // Two failures and one success: 67 % but only 3 calls.
        for ok in [false, true, false] { #expect(breaker.record(success: ok, admission: .allowed) == nil) }
        // Old calls leave the window: after 11 s these three no longer count.
        clock.advance(seconds: 11)
        #expect(breaker.record(success: false, admission: .allowed) == nil)
        #expect(breaker.record(success: true, admission: .allowed) == nil)
        #expect(breaker.record(success: true, admission: .allowed) == nil)
        // 2 failures of 4 is 50 %: not above the threshold.
        #expect(breaker.record(success: false, admission: .allowed) == nil)
        let event = breaker.record(success: false, admission: .allowed)
        #expect(event?.reason == .errorRate && event?.value == 60 && event?.threshold == 50)
        #expect(breaker.state == .open)
    }

    @Test func transitionsEncodeLikeAlertEvents() throws {
        let clock = ManualClock()
        var breaker = CircuitBreaker(name: "method:resources/read", settings: settings(failures: 1), clock: clock)
        let recorded = breaker.record(success: false, admission: .allowed)
        let event = try #require(recorded)
        let json = String(decoding: try JSONEncoder().encode(event), as: UTF8.self)
        for field in ["\"from\":\"closed\"", "\"to\":\"open\"", "\"reason\":\"consecutive_failures\"", "\"method\":\"resources", "\"summary\"", "\"sequence\":1"] {
            #expect(json.contains(field), "\(field) in \(json)")
        }
    }
}

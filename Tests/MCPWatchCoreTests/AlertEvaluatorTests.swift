import Foundation
import Testing

@testable import MCPWatchCore

/// The alert state machine, driven with explicit times: no sleeps.
@Suite struct AlertEvaluatorTests {
    var now = MonotonicInstant(nanoseconds: 1_000_000_000)
    var wall = Date(timeIntervalSince1970: 1_800_000_000)

    static let p95 = AlertRule(name: "p95", metric: .latencyP95, scope: .each(methods: ["tools/call"], targets: ["*"]),
                               warning: 500, critical: 2_000, forSeconds: 30, minimumSamples: 3, resolveDelaySeconds: 60)

    mutating func step(_ e: inout AlertEvaluator, seconds: Double = 10, _ observations: [AlertObservation]) -> [AlertEvent] {
        now = now.advanced(byNanoseconds: UInt64(seconds * 1e9))
        wall = wall.addingTimeInterval(seconds)
        e.beginTick()
        return e.evaluate(rule: 0, observations: observations, now: now, wallNow: wall)
    }

    static func obs(_ value: Double?, samples: Int = 10, target: String = "search") -> AlertObservation {
        AlertObservation(method: "tools/call", target: target, value: value, samples: samples)
    }

    @Test mutating func firesOnlyAfterForAndOncePerRuleAndTarget() {
        var e = AlertEvaluator(rules: [Self.p95])
        #expect(step(&e, [Self.obs(100)]).isEmpty)
        let pending = step(&e, [Self.obs(800)])
        #expect(pending.map(\.kind) == [.pending])
        #expect(pending[0].alertId == "p95:tools/call:search" && pending[0].severity == .warning && pending[0].threshold == 500)
        #expect(step(&e, [Self.obs(900)]).isEmpty)  // 10 s pending: not yet 30
        #expect(step(&e, [Self.obs(700)]).isEmpty)  // 20 s
        let fired = step(&e, [Self.obs(850)])       // 30 s
        #expect(fired.map(\.kind) == [.firing])
        #expect(fired[0].summary.contains("850 ms") && fired[0].summary.contains("500 ms"))
        for _ in 0..<20 { #expect(step(&e, [Self.obs(800)]).isEmpty) }
        let alert = e.alerts[0]
        #expect(alert.state == .firing && alert.valueWhenFired == 850 && alert.worstValue == 900)
        #expect(alert.startedAt == Date(timeIntervalSince1970: 1_800_000_020) && alert.firedAt == Date(timeIntervalSince1970: 1_800_000_050))
        #expect(e.events.count == 2)
    }

    @Test mutating func pendingIsCancelledWhenTheConditionClearsBeforeFor() {
        var e = AlertEvaluator(rules: [Self.p95])
        _ = step(&e, [Self.obs(800)])
        let cancelled = step(&e, [Self.obs(100)])
        #expect(cancelled.map(\.kind) == [.cancelled] && cancelled[0].to == .inactive)
        #expect(e.alerts.isEmpty)
    }

    @Test mutating func tooFewSamplesSayNothing() {
        var e = AlertEvaluator(rules: [Self.p95])
        for _ in 0..<10 { #expect(step(&e, [Self.obs(5_000, samples: 2)]).isEmpty) }
        #expect(e.alerts.isEmpty)
    }

    @Test mutating func resolvesOnlyAfterTheDelayAndDoesNotFlap() {
        var rule = Self.p95
        rule.forSeconds = 0
        var e = AlertEvaluator(rules: [rule])
        #expect(step(&e, [Self.obs(800)]).map(\.kind) == [.firing])
        // Clear for 50 s, then bad again: no transition at all.
        for _ in 0..<5 { #expect(step(&e, [Self.obs(100)]).isEmpty) }
        #expect(step(&e, [Self.obs(900)]).isEmpty)
        // Clear from the first clear evaluation for 60 s: resolved, once.
        for _ in 0..<6 { #expect(step(&e, [Self.obs(100)]).isEmpty) }
        let resolved = step(&e, [Self.obs(100)])
        #expect(resolved.map(\.kind) == [.resolved] && resolved[0].from == .firing && resolved[0].to == .resolved)
        #expect(resolved[0].summary.hasPrefix("resolved: "))
        #expect(e.alerts[0].state == .resolved && e.alerts[0].resolvedAt != nil && e.alerts[0].worstValue == 900)
        // Bad again: fires anew (for is 0).
        #expect(step(&e, [Self.obs(1_000)]).map(\.kind) == [.firing])
    }

    @Test mutating func hysteresisKeepsAFiringAlertNearTheThreshold() {
        var rule = Self.p95
        rule.forSeconds = 0
        rule.hysteresis = 50
        rule.resolveDelaySeconds = 0
        var e = AlertEvaluator(rules: [rule])
        #expect(step(&e, [Self.obs(520)]).map(\.kind) == [.firing])
        #expect(step(&e, [Self.obs(480)]).isEmpty)  // below 500, above 450: holds
        #expect(step(&e, [Self.obs(460)]).isEmpty)
        #expect(step(&e, [Self.obs(440)]).map(\.kind) == [.resolved])
    }

    @Test mutating func escalatesAtOnceAndDeescalatesAfterTheDelay() {
        var rule = Self.p95
        rule.forSeconds = 0
        var e = AlertEvaluator(rules: [rule])
        #expect(step(&e, [Self.obs(800)]).first?.severity == .warning)
        let up = step(&e, [Self.obs(2_500)])
        #expect(up.map(\.kind) == [.escalated] && up[0].severity == .critical && up[0].previousSeverity == .warning && up[0].threshold == 2_000)
        for _ in 0..<6 { #expect(step(&e, [Self.obs(1_000)]).isEmpty) }
        let down = step(&e, [Self.obs(1_000)])
        #expect(down.map(\.kind) == [.deescalated] && down[0].severity == .warning)
        #expect(e.alerts[0].worstValue == 2_500)
    }

    @Test mutating func eachTargetIsItsOwnAlert() {
        var rule = Self.p95
        rule.forSeconds = 0
        var e = AlertEvaluator(rules: [rule])
        let events = step(&e, [Self.obs(800, target: "a"), Self.obs(100, target: "b"), Self.obs(3_000, target: "c")])
        #expect(events.map(\.alertId) == ["p95:tools/call:a", "p95:tools/call:c"])
        #expect(e.alerts.map(\.target) == ["c", "a"])  // critical first
        // "a" goes away (no observation): no data, resolves after the delay; "c" stays.
        for _ in 0..<6 { #expect(step(&e, [Self.obs(3_000, target: "c")]).isEmpty) }
        #expect(step(&e, [Self.obs(3_000, target: "c")]).map(\.alertId) == ["p95:tools/call:a"])
    }

    @Test func scopesMatchGlobs() {
        let scope = AlertRule.Scope.each(methods: ["tools/call"], targets: ["search*", "f?o"])
        #expect(scope.matches(method: "tools/call", name: "search"))
        #expect(scope.matches(method: "tools/call", name: "search_docs"))
        #expect(scope.matches(method: "tools/call", name: "foo"))
        #expect(!scope.matches(method: "tools/call", name: "fooo"))
        #expect(!scope.matches(method: "prompts/get", name: "search"))
        #expect(!AlertRule.Scope.all.matches(method: "tools/call", name: "x"))
        #expect(Glob.matches("*", "") && Glob.matches("a*b*c", "aXXbYYc") && !Glob.matches("a*b", "ac"))
    }

    @Test mutating func historyIsBounded() {
        var rule = Self.p95
        rule.forSeconds = 0
        rule.resolveDelaySeconds = 0
        var e = AlertEvaluator(rules: [rule], historyLimit: 3)
        for i in 0..<10 { _ = step(&e, [Self.obs(i % 2 == 0 ? 800 : 100)]) }
        #expect(e.events.map(\.sequence) == [10, 9, 8])
        #expect(e.events.map(\.kind) == [.resolved, .firing, .resolved])
    }

    @Test func belowRulesAndWindowsParse() {
        let rule = AlertRule(name: "ok", metric: .successRate, comparison: .below, warning: 90, critical: 75, hysteresis: 2)
        #expect(rule.severity(of: 95) == nil && rule.severity(of: 80) == .warning && rule.severity(of: 70) == .critical)
        #expect(rule.holds(.warning, value: 91) && !rule.holds(.warning, value: 92.5))
        #expect(AlertRule.Window(parsing: "5m") == .seconds(300) && AlertRule.Window(parsing: "100 calls") == .calls(100))
        #expect(AlertRule.Window(parsing: "90s") == .seconds(90) && AlertRule.Window(parsing: "2h") == nil)
        #expect(AlertRule.Window(parsing: "1000 calls") == nil && AlertRule.Window(parsing: "fast") == nil)
    }
}

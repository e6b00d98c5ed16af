import Foundation
import Synchronization
import Testing

@testable import MCPWatchCore

/// The engine on a real metrics store with an injected clock, and the dispatcher's isolation of notifiers.
@Suite struct AlertEngineTests {
    static func call(_ tool: String, ms: Double, at clock: ManualClock, ok: Bool = true) -> CompletedCall {
        CompletedCall(method: "tools/call", target: tool, id: RequestID(1), outcome: ok ? .ok : .toolError,
                      durationNanos: UInt64(ms * 1e6), finishedAt: clock.now())
    }

    @Test func slowToolFiresAfterForAndResolvesWhenFastAgain() {
        let clock = ManualClock()
        let store = MetricsStore(clock: clock)
        let rule = AlertRule(name: "p95", metric: .latencyP95, scope: .each(methods: ["tools/call"], targets: ["*"]), window: .seconds(60),
                             warning: 500, critical: 2_000, forSeconds: 30, minimumSamples: 3, resolveDelaySeconds: 20)
        let engine = AlertEngine(rules: [rule], store: store)
        for _ in 0..<5 {
            store.record(Self.call("search", ms: 800, at: clock))
            store.record(Self.call("echo", ms: 1, at: clock))
        }
        store.record(Self.call("rare", ms: 5_000, at: clock))  // one slow call: below min samples
        #expect(engine.tick().map(\.alertId) == ["p95:tools/call:search"])
        #expect(engine.alerts.first?.state == .pending)
        clock.advance(seconds: 30)
        let fired = engine.tick()
        #expect(fired.map(\.kind) == [.firing] && fired.first?.value == 800)
        // The slow calls leave the 60 s window; fast ones take their place.
        clock.advance(seconds: 31)
        for _ in 0..<5 { store.record(Self.call("search", ms: 2, at: clock)) }
        #expect(engine.tick().isEmpty)  // clear, waiting out the resolve delay
        clock.advance(seconds: 20)
        store.record(Self.call("search", ms: 2, at: clock))
        let resolved = engine.tick()
        #expect(resolved.map(\.kind) == [.resolved])
        #expect(engine.report().active.first?.worstValue == 800)
    }

    @Test func allCallsAndSystemFigures() {
        let clock = ManualClock()
        let store = MetricsStore(clock: clock)
        for i in 0..<20 { store.record(Self.call("t", ms: 1, at: clock, ok: i % 4 != 0)) }  // 25 % errors
        let system = Mutex<Double?>(95)
        let engine = AlertEngine(
            rules: [AlertRule(name: "errors", metric: .errorRate, window: .calls(20), warning: 5, critical: 20, minimumSamples: 10),
                    AlertRule(name: "disk", metric: .diskUsedPercent, warning: 90, critical: 99),
                    AlertRule(name: "queue", metric: .queueDepth, warning: 1)],
            store: store,
            sources: .init(gauge: { metric in metric == .diskUsedPercent ? system.withLock { $0 } : nil }))
        // Disk comes from the system report, not the gauge: without a report there is no data.
        let events = engine.tick()
        #expect(events.map(\.alertId) == ["errors"])
        #expect(events.first?.severity == .critical && events.first?.value == 25)
    }

    final class Recorder: AlertNotifier {
        let name = "recorder"
        let (stream, continuation) = AsyncStream<AlertEvent>.makeStream()
        func notify(_ event: AlertEvent) async throws { continuation.yield(event) }
    }

    struct Failing: AlertNotifier {
        let name = "failing"
        struct Boom: Error {}
        func notify(_ event: AlertEvent) async throws { throw Boom() }
    }

    /// Never returns until cancelled: stands for a webhook that hangs.
    struct Hanging: AlertNotifier {
        let name = "hanging"
        func notify(_ event: AlertEvent) async throws {
            let (never, continuation) = AsyncStream<Void>.makeStream()
            // Holding the continuation keeps the stream open: the loop ends only when the task is cancelled.
            withExtendedLifetime(continuation) {}
            for await _ in never {}
            continuation.finish()
        }
    }

    final class Everything: AlertNotifier {
        let name = "everything"
        let kinds: Set<AlertEvent.Kind> = [.pending, .firing, .escalated, .deescalated, .resolved, .cancelled]
        let (stream, continuation) = AsyncStream<AlertEvent>.makeStream()
        func notify(_ event: AlertEvent) async throws { continuation.yield(event) }
    }

    @Test(.timeLimit(.minutes(1))) func notifiersGetFiringAndResolvedButNotPendingUnlessTheyAsk() async throws {
        let clock = ManualClock()
        let store = MetricsStore(clock: clock)
        let engine = AlertEngine(rules: [AlertRule(name: "rate", metric: .callsPerSecond, window: .seconds(60), warning: 0.001, forSeconds: 10)], store: store)
        let recorder = Recorder(), everything = Everything()
        let dispatcher = AlertDispatcher(engine: engine, notifiers: [recorder, everything])
        let task = Task { await dispatcher.run() }
        store.record(Self.call("t", ms: 1, at: clock))
        #expect(engine.tick().map(\.kind) == [.pending])
        clock.advance(seconds: 10)
        #expect(engine.tick().map(\.kind) == [.firing])
        var first: AlertEvent?
        for await event in recorder.stream { first = event; break }
        #expect(first?.kind == .firing)  // the pending transition never reached it
        var all: [AlertEvent.Kind] = []
        for await event in everything.stream {
            all.append(event.kind)
            if all.count == 2 { break }
        }
        #expect(all == [.pending, .firing])
        task.cancel()
        await task.value
    }

    @Test(.timeLimit(.minutes(1))) func aSlowOrFailingNotifierDelaysNoOther() async throws {
        let clock = ManualClock()
        let store = MetricsStore(clock: clock)
        let engine = AlertEngine(rules: [AlertRule(name: "rate", metric: .callsPerSecond, window: .seconds(10), warning: 0.05, resolveDelaySeconds: 0)], store: store)
        let recorder = Recorder()
        let dispatcher = AlertDispatcher(engine: engine, notifiers: [Hanging(), Failing(), recorder], queueLimit: 8)
        let task = Task { await dispatcher.run() }
        store.record(Self.call("t", ms: 1, at: clock))
        #expect(engine.tick().map(\.kind) == [.firing])  // returns at once although one notifier hangs
        clock.advance(seconds: 11)
        #expect(engine.tick().map(\.kind) == [.resolved])
        var received: [AlertEvent.Kind] = []
        for await event in recorder.stream {
            received.append(event.kind)
            if received.count == 2 { break }
        }
        #expect(received == [.firing, .resolved])
        // The failing notifier fails twice, and each failure is counted (it runs on its own task: wait for it).
        while engine.report().notifierFailures["failing", default: 0] < 2 { await Task.yield() }
        #expect(engine.report().notifierFailures == ["failing": 2])
        #expect(dispatcher.deliveries["recorder"] == 2)
        task.cancel()
        await task.value
    }
}

import Foundation
import Synchronization
import Testing
@testable import MCPWatchCore

/// What the views make of ``TrafficStats``: the exposition, the report's `traffic`, the alert rules and the breaker
/// events, fed the way the relays' gate feeds it.
@Suite struct TrafficStatsViewsTests {
    static let hostile = "bad\"name\\with\nnewline"

    static func transition(_ from: BreakerState, _ to: BreakerState, breaker: String = "tool:" + hostile, sequence: UInt64 = 1) -> BreakerTransition {
        BreakerTransition(sequence: sequence, at: Date(timeIntervalSince1970: 1_800_000_000), breaker: breaker, method: "tools/call",
                          target: hostile, from: from, to: to, reason: to == .open ? .consecutiveFailures : .coolDownOver,
                          value: 5, threshold: 5, summary: "breaker \(breaker) is \(to.rawValue)", retryAt: nil)
    }

    /// Figures of every kind: queued and admitted calls, each outcome, a late answer, the cache and a breaker.
    static func filled() -> TrafficStats {
        var policy = TrafficPolicy()
        policy.maxConcurrency = 2
        policy.breaker = TrafficPolicy.BreakerSettings()
        var override = TrafficPolicy.Override()
        override.breaker = TrafficPolicy.BreakerSettings()
        policy.tools[hostile] = override
        let stats = TrafficStats(policy: policy)
        let slow = TargetKey(method: "tools/call", target: hostile)
        let list = TargetKey(method: "tools/list", target: nil)
        stats.queueChanged(depth: 3, inFlight: 2)
        stats.queueChanged(depth: 1, inFlight: 2)
        stats.admitted(slow, waited: .milliseconds(40))
        stats.completed(slow, clientLatency: .milliseconds(240))
        stats.admitted(slow, waited: .zero)
        stats.completed(slow, clientLatency: .milliseconds(200))
        for outcome in TrafficOutcome.allCases where outcome != .cached {
            stats.answered(outcome, slow, waited: outcome == .queuedOut ? .seconds(1) : .zero, clientLatency: .milliseconds(1))
        }
        stats.answered(.cached, list, clientLatency: .microseconds(30))
        stats.answered(.cached, list, clientLatency: .microseconds(30))
        stats.lateAnswerDropped(slow)
        var cache = ResponseCache.Statistics()
        cache.hits = 2
        cache.misses = 1
        cache.stores = 1
        cache.entries = 1
        cache.bytes = 512
        stats.cacheChanged(cache)
        stats.breakerChanged(transition(.closed, .open))
        return stats
    }

    @Test("the exposition has every traffic family, hostile names escaped, and passes promtool")
    func exposition() throws {
        var exposition = PrometheusExposition()
        exposition.writeTraffic(Self.filled().snapshot(), server: "demo", transport: "pipe")
        let text = exposition.finish()
        let common = #"server="demo",network_transport="pipe""#
        let tool = #"mcp_method_name="tools/call",gen_ai_tool_name="bad\"name\\with\nnewline""#
        #expect(text.contains("mcpwatch_traffic_queue_depth{\(common)} 1\n"))
        #expect(text.contains("mcpwatch_traffic_queue_depth_peak{\(common)} 3\n"))
        #expect(text.contains("mcpwatch_traffic_in_flight{\(common)} 2\n"))
        #expect(text.contains(#"mcpwatch_traffic_answers_total{\#(common),mcp_method_name="tools/list",outcome="cached"} 2"#))
        for outcome in ["queued_out", "rejected", "timed_out", "circuit_open", "rate_limited"] {
            #expect(text.contains("mcpwatch_traffic_answers_total{\(common),\(tool),outcome=\"\(outcome)\"} 1\n"))
        }
        #expect(text.contains("mcpwatch_traffic_admitted_total{\(common),\(tool)} 2\n"))
        #expect(text.contains("mcpwatch_traffic_late_answers_dropped_total{\(common),\(tool)} 1\n"))
        // Two admitted calls and one queued out waited (zero counts: a slot was free).
        #expect(text.contains("mcpwatch_traffic_queue_wait_seconds_count{\(common),\(tool)} 3\n"))
        #expect(text.contains("mcpwatch_traffic_queue_wait_seconds_bucket{\(common),\(tool),le=\"0.05\"} 2\n"))
        #expect(text.contains("mcpwatch_traffic_client_duration_seconds_count{\(common),\(tool)} 7\n"))
        #expect(text.contains("mcpwatch_traffic_cache_hits_total{\(common)} 2\n"))
        #expect(text.contains("mcpwatch_traffic_cache_misses_total{\(common)} 1\n"))
        #expect(text.contains("mcpwatch_traffic_cache_bytes{\(common)} 512\n"))
        #expect(text.contains(#"mcpwatch_traffic_breaker_state{\#(common),breaker="server",state="closed"} 1"#))
        #expect(text.contains(#"mcpwatch_traffic_breaker_state{\#(common),breaker="tool:bad\"name\\with\nnewline",state="open"} 1"#))
        #expect(text.contains(#"mcpwatch_traffic_breaker_state{\#(common),breaker="tool:bad\"name\\with\nnewline",state="closed"} 0"#))
        #expect(text.contains(#"mcpwatch_traffic_breaker_transitions_total{\#(common),breaker="tool:bad\"name\\with\nnewline",to="open"} 1"#))
        try Self.promtool(text)

        // Configured but idle: the same families, no target rows, and still valid.
        var idle = PrometheusExposition()
        idle.writeTraffic(TrafficStats(policy: TrafficPolicy()).snapshot(), server: "demo")
        let idleText = idle.finish()
        #expect(idleText.contains("mcpwatch_traffic_queue_depth{\(common)} 0\n"))
        #expect(!idleText.contains("mcpwatch_traffic_answers_total{"))
        try Self.promtool(idleText)
    }

    static func promtool(_ text: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["promtool", "check", "metrics"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0 && said.isEmpty, "promtool: \(said)")
    }

    @Test("the report keeps mcpwatch's answers apart, with waits, the cache and the breakers")
    func report() throws {
        let report = Self.filled().report()
        #expect(report.policy?.maxConcurrency == 2)
        #expect(report.queue.depth == 1 && report.queue.depthPeak == 3 && report.queue.inFlight == 2)
        #expect(report.answered == ["cached": 2, "queued_out": 1, "rejected": 1, "timed_out": 1, "circuit_open": 1, "rate_limited": 1])
        #expect(report.admitted == 2 && report.lateAnswersDropped == 1)
        #expect(report.cache.hits == 2 && report.cache.misses == 1)
        #expect(abs((report.cache.hitRate ?? 0) - 200.0 / 3) < 1e-9)
        #expect(report.breakers.map(\.name) == ["server", "tool:" + Self.hostile])
        #expect(report.breakers.map(\.state) == [.closed, .open])
        #expect(report.breakers[1].opened == 1)
        #expect(report.transitions.count == 1)
        let slow = try #require(report.targets.first)
        #expect(slow.target == Self.hostile && slow.admitted == 2)
        #expect(slow.answered["cached"] == nil && slow.answered["timed_out"] == 1)
        #expect(slow.queueWait.p50Ms != nil)
        #expect(slow.clientLatency.avgMs != nil && slow.serverLatency == nil)

        // In the report JSON, through the fast writer, as the encoder writes it.
        let clock = ManualClock()
        let store = MetricsStore(clock: clock)
        store.record(CompletedCall(method: "tools/call", target: Self.hostile, id: RequestID(1), outcome: .ok, durationNanos: 200_000_000,
                                   finishedAt: clock.now()))
        var full = store.report()
        full.traffic = Self.filled().report(serverLatency: store)
        #expect(full.traffic?.targets.first?.serverLatency?.p50Ms != nil)
        let fast = try JSONSerialization.jsonObject(with: ReportJSONWriter.data(full)) as? NSDictionary
        let slowJSON = try JSONSerialization.jsonObject(with: Report.encoder().encode(full)) as? NSDictionary
        #expect(fast != nil && fast == slowJSON)
        let traffic = try #require(fast?["traffic"] as? NSDictionary)
        #expect((traffic["queue"] as? NSDictionary)?["depth_peak"] as? Int == 3)
        #expect((traffic["answered"] as? NSDictionary)?["rate_limited"] as? Int == 1)
        // Without traffic control there is no key at all.
        let plain = try JSONSerialization.jsonObject(with: ReportJSONWriter.data(store.report())) as? NSDictionary
        #expect(plain?["traffic"] == nil)
    }

    @Test("percentiles from the buckets fall in the bucket of the value")
    func bucketPercentiles() {
        var buckets = DurationBuckets()
        for _ in 0..<100 { buckets.add(.milliseconds(30)) }
        let summary = buckets.summary
        // 30 ms is in the (20 ms, 50 ms] bucket.
        #expect((20...50).contains(summary.p50Ms ?? 0) && (20...50).contains(summary.p99Ms ?? 0))
        #expect(abs((summary.avgMs ?? 0) - 30) < 1e-9)
        #expect(DurationBuckets().summary == LatencySummary())
    }

    @Test("a breaker's transitions join the alert history and reach the listeners, as alert transitions")
    func breakerEvents() throws {
        let store = MetricsStore(clock: ManualClock())
        let engine = AlertEngine(rules: [], store: store)
        let stats = TrafficStats(policy: TrafficPolicy())
        engine.watch(stats)
        let heard = Heard()
        engine.addListener { heard.add($0) }
        stats.breakerChanged(Self.transition(.closed, .open))
        stats.breakerChanged(Self.transition(.open, .halfOpen, sequence: 2))
        stats.breakerChanged(Self.transition(.halfOpen, .closed, sequence: 3))
        let events = heard.events
        #expect(events.map(\.kind) == [.firing, .deescalated, .resolved])
        #expect(events.map(\.sequence) == [1, 2, 3])
        #expect(events.allSatisfy { $0.rule == "circuit_breaker" && $0.metric == .circuitBreaker && $0.target == Self.hostile })
        #expect(events[0].severity == .critical && events[0].to == .firing && events[0].breaker?.to == .open)
        #expect(events[1].severity == .warning && events[1].previousSeverity == .critical)
        #expect(events[2].to == .resolved && events[2].alertId == "circuit_breaker:tool:" + Self.hostile)
        let history = engine.report().history
        #expect(history.map(\.kind) == [.resolved, .deescalated, .firing])
        // As JSON: the transition rides along, snake_case like the rest.
        let json = String(decoding: try Report.encoder().encode(events[0]), as: UTF8.self)
        #expect(json.contains(#""metric":"circuit_breaker""#) && json.contains(#""breaker":{"#))
        // A configured rule cannot watch it.
        #expect(!AlertRule.Metric.watchable.contains(.circuitBreaker))
    }

    @Test("the notifiers receive a breaker's opening and closing, as an alert's firing and resolving", .timeLimit(.minutes(1)))
    func breakerEventsReachNotifiers() async throws {
        let engine = AlertEngine(rules: [], store: MetricsStore(clock: ManualClock()))
        let stats = TrafficStats(policy: TrafficPolicy())
        engine.watch(stats)
        let recorder = AlertEngineTests.Recorder()
        let dispatcher = AlertDispatcher(engine: engine, notifiers: [recorder])
        let task = Task { await dispatcher.run() }
        stats.breakerChanged(Self.transition(.closed, .open))
        stats.breakerChanged(Self.transition(.open, .halfOpen, sequence: 2))
        stats.breakerChanged(Self.transition(.halfOpen, .closed, sequence: 3))
        var kinds: [AlertEvent.Kind] = []
        for await event in recorder.stream {
            #expect(event.rule == "circuit_breaker" && event.summary.hasPrefix("breaker tool:"))
            kinds.append(event.kind)
            if kinds.count == 3 { break }
        }
        #expect(kinds == [.firing, .deescalated, .resolved])
        task.cancel()
        await task.value
    }

    @Test("the report file has the traffic figures when traffic control is configured, and no traffic key otherwise")
    func reportFile() throws {
        let folder = NSTemporaryDirectory() + "mcpwatch-traffic-report-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = MetricsStore(clock: ManualClock())
        var writer = ReportFileWriter(path: folder + "/on.json", store: store, serverName: "s")
        writer.traffic = Self.filled()
        writer.writeNow()
        let on = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/on.json"))) as? NSDictionary
        #expect(((on?["traffic"] as? NSDictionary)?["cache"] as? NSDictionary)?["hits"] as? Int == 2)
        ReportFileWriter(path: folder + "/off.json", store: store, serverName: "s").writeNow()
        let off = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/off.json"))) as? NSDictionary
        #expect(off != nil && off?["traffic"] == nil)
    }

    @Test("queue_depth and cache_hit_rate fire on traffic control's figures")
    func alertRules() throws {
        let clock = ManualClock()
        let store = MetricsStore(clock: clock)
        let stats = TrafficStats(policy: TrafficPolicy())
        let rules = AlertRule.builtIn.filter { $0.name == "queue_depth" || $0.name == "cache_hit_rate" }
        let engine = AlertEngine(rules: rules, store: store, sources: .traffic(stats, interval: .seconds(5)))
        // Idle: no lookups, an empty queue: nothing.
        #expect(engine.tick().isEmpty)
        stats.queueChanged(depth: 150, inFlight: 2)
        var cache = ResponseCache.Statistics()
        cache.hits = 1
        cache.misses = 9
        stats.cacheChanged(cache)
        var kinds: [String: [AlertEvent.Kind]] = [:]
        for _ in 0..<70 {  // 350 s: past both rules' `for`
            for event in engine.tick() { kinds[event.rule, default: []].append(event.kind) }
            clock.advance(seconds: 5)
            cache.hits += 1
            cache.misses += 9
            stats.cacheChanged(cache)
        }
        #expect(kinds["queue_depth"]?.prefix(2) == [.pending, .firing])
        #expect(kinds["cache_hit_rate"]?.prefix(2) == [.pending, .firing])
        let firing = try #require(engine.alerts.first { $0.rule == "cache_hit_rate" })
        #expect(firing.severity == .critical && abs((firing.value ?? 0) - 10) < 1e-9)
        // Without traffic control the rules see no data.
        let off = AlertEngine(rules: rules, store: store, sources: .traffic(nil, interval: .seconds(5)))
        #expect(off.sources.gauge(.queueDepth) == nil)
    }

    final class Heard: Sendable {
        private let list = Mutex<[AlertEvent]>([])
        func add(_ event: AlertEvent) { list.withLock { $0.append(event) } }
        var events: [AlertEvent] { list.withLock { $0 } }
    }
}

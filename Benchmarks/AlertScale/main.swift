// One alert evaluation tick with 100 rules over 1,000 targets (issue 4: at most 5 ms), on the real code paths:
// the windowed figures from the metrics store, then the state machine.
// Run: MCPWATCH_BENCHMARKS=1 swift run -c release --scratch-path .build-bench AlertScale
import Foundation
import MCPWatchCore

let clock = SystemWatchClock()

func call(_ name: String, micros: UInt64, ok: Bool) -> CompletedCall {
    CompletedCall(method: "tools/call", target: name, id: RequestID(1), outcome: ok ? .ok : .toolError, durationNanos: micros * 1_000,
                  finishedAt: clock.now(), requestBytes: 150, responseBytes: 300)
}

// 1,000 tools, each with 300 recent calls (more than the 256 a target keeps), latencies 100 µs to 1 s, 3 % errors.
let store = MetricsStore(clock: clock)
for t in 0..<1_000 {
    for i in 0..<300 { store.record(call("tool-\(t)", micros: UInt64(100 + (i * 7_919 + t * 104_729) % 1_000_000), ok: i % 33 != 0)) }
}

func measure(_ label: String, runs: Int = 30, _ body: () -> Int) {
    var samples: [Double] = []
    var info = 0
    for run in 0..<runs {
        // New calls on every tool between ticks, as under load.
        for t in 0..<1_000 { store.record(call("tool-\(t)", micros: UInt64(200 + run * 10 + t), ok: true)) }
        let start = ContinuousClock.now
        info = body()
        let elapsed = ContinuousClock.now - start
        samples.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3)
    }
    samples.sort()
    print(String(format: "%-62@ median %7.2f ms  p90 %7.2f ms  (%d)", label as NSString, samples[runs / 2], samples[runs * 9 / 10], info))
}

for window in [AlertRule.Window.seconds(1), .seconds(60), .seconds(300), .calls(100)] {
    measure("window figures of 1,000 targets over \(window)") { store.windowStatistics(window).targets.count }
}

// 100 rules: every call metric, over three windows (1m, 5m, the last 100 calls), each tool on its own.
// "quiet": thresholds nothing reaches (the everyday case); "storm": every tool breaches every rule, so 100,000
// alerts fire at once and stay firing (the worst case: each tick walks every alert). "one 5m window": every rule
// over 5 minutes, as the built-in rules are; "3 windows": 1m, 5m and 100 calls, each computed for every tool.
let metrics: [AlertRule.Metric] = [.latencyAvg, .latencyP50, .latencyP90, .latencyP95, .latencyP99, .errorRate, .successRate, .callsPerSecond, .inFlight]
let windows: [AlertRule.Window] = [.seconds(60), .seconds(300), .calls(100)]
for (storm, shared) in ProcessInfo.processInfo.environment["ALERTSCALE_ONLY"] == "quiet" ? [(false, false)] : [(false, true), (false, false), (true, false)] {
    var rules: [AlertRule] = []
    for i in 0..<100 {
        let metric = metrics[i % metrics.count]
        let below = metric == .successRate
        let (warning, critical): (Double, Double) = switch (metric, storm) {
        case (.successRate, false): (1, 0.5)
        case (.successRate, true): (100.1, 100.05)
        case (_, false): (1e9, 2e9)
        case (_, true): (-2, -1)
        }
        rules.append(AlertRule(name: "rule-\(i)", metric: metric, scope: .each(methods: ["tools/call"], targets: ["*"]), window: shared ? .seconds(300) : windows[i % windows.count],
                               comparison: below ? .below : .above, warning: warning, critical: critical, forSeconds: 0, minimumSamples: 1))
    }
    let engine = AlertEngine(rules: rules, store: store, historyLimit: 1_000)
    if storm { engine.tick() }  // the storm breaks out once; the measured ticks keep 100,000 alerts firing
    measure("alert tick, 100 rules x 1,000 targets, \(shared ? "one 5m window" : "3 windows"), \(storm ? "storm: all firing" : "quiet: none firing")") { engine.tick().count + engine.trackedCount }
}

import Benchmark
import MCPWatchCore

/// Hot paths of the measuring pipeline. Run:
///   MCPWATCH_BENCHMARKS=1 swift package --scratch-path .build-bench --disable-sandbox benchmark --target CoreBenchmarks
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput],
        timeUnits: .nanoseconds,
        warmupIterations: 1_000,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 1_000_000)

    let clock = SystemWatchClock()

    // One store for all iterations, warmed up: a proxy records into a long-lived store, so the first touch of its
    // pages (a fresh store faults in megabytes) is not what a call costs.
    let recordStore = MetricsStore(clock: clock)
    let handle = recordStore.callStarted(method: "tools/call", target: "get_current_time")
    for name in ["echo", "search", "convert_time"] { recordStore.record(call(name, nil, clock)) }
    for i in 0..<200_000 { recordStore.record(call("get_current_time", handle, clock, micros: UInt64(1 + i % 70_000))) }

    Benchmark("record: one finished call (with handle, as the relay does)") { benchmark in
        let store = recordStore
        var c = call("get_current_time", handle, clock)
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            c.durationNanos = UInt64(200_000 + (i & 0xFFFF))
            c.finishedAt = clock.now()
            store.record(c)
        }
    }

    Benchmark("record: one finished call (lookup by method and target)") { benchmark in
        let store = recordStore
        var c = call("get_current_time", nil, clock)
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            c.durationNanos = UInt64(200_000 + (i & 0xFFFF))
            c.finishedAt = clock.now()
            store.record(c)
        }
    }

    let request = Array(#"{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"get_current_time","arguments":{"timezone":"Europe/Paris"}},"_meta":{"progressToken":42}}"#.utf8)
    let response = Array(#"{"jsonrpc":"2.0","id":42,"result":{"content":[{"type":"text","text":"{\n  \"timezone\": \"Europe/Paris\",\n  \"datetime\": \"2026-11-23T05:00:00+01:00\",\n  \"is_dst\": false\n}"}],"structuredContent":{"timezone":"Europe/Paris","datetime":"2026-11-23T05:00:00+01:00","is_dst":false},"isError":false}}"#.utf8)

    Benchmark("inspect: tools/call request (150 B)") { benchmark in
        var inspector = MessageInspector()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(request.withUnsafeBytes { inspector.inspect($0) }) }
    }

    Benchmark("inspect: tools/call response (300 B)") { benchmark in
        var inspector = MessageInspector()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(response.withUnsafeBytes { inspector.inspect($0) }) }
    }

    let big = Array((#"{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":""# + String(repeating: "abcdefgh", count: 131_072) + #""}]}}"#).utf8)
    Benchmark("inspect: 1 MiB result", configuration: .init(metrics: [.wallClock, .mallocCountTotal, .throughput], timeUnits: .microseconds, scalingFactor: .one)) { benchmark in
        var inspector = MessageInspector()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(big.withUnsafeBytes { inspector.inspect($0) }) }
    }

    let pipelineRecorder = TrafficRecorder(store: MetricsStore(clock: clock))
    Benchmark("pipeline: observe request and response") { benchmark in
        let recorder = pipelineRecorder
        var inspector = MessageInspector()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            request.withUnsafeBytes { recorder.observe(frame: $0, direction: .clientToServer, at: clock.now(), inspector: &inspector) }
            response.withUnsafeBytes { recorder.observe(frame: $0, direction: .serverToClient, at: clock.now(), inspector: &inspector) }
        }
    }

    Benchmark("report: 1000 targets, all changed", configuration: .init(metrics: [.wallClock, .mallocCountTotal], timeUnits: .milliseconds, scalingFactor: .one, maxIterations: 200)) { benchmark in
        let store = MetricsStore(clock: clock)
        for t in 0..<1_000 { for i in 0..<20 { store.record(call("tool-\(t)", nil, clock, micros: UInt64(100 + i * 37 + t))) } }
        for _ in benchmark.scaledIterations {
            // Touch every target so nothing can come from the cache.
            benchmark.stopMeasurement()
            for t in 0..<1_000 { store.record(call("tool-\(t)", nil, clock, micros: 500)) }
            benchmark.startMeasurement()
            blackHole(store.report())
        }
    }

    Benchmark("report: 1000 targets, unchanged", configuration: .init(metrics: [.wallClock, .mallocCountTotal], timeUnits: .milliseconds, scalingFactor: .one, maxIterations: 200)) { benchmark in
        let store = MetricsStore(clock: clock)
        for t in 0..<1_000 { for i in 0..<20 { store.record(call("tool-\(t)", nil, clock, micros: UInt64(100 + i * 37 + t))) } }
        _ = store.report()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(store.report()) }
    }

    Benchmark("report JSON: 1000 targets, all changed (what /api/report does)", configuration: .init(metrics: [.wallClock, .mallocCountTotal], timeUnits: .milliseconds, scalingFactor: .one, maxIterations: 200)) { benchmark in
        let store = MetricsStore(clock: clock)
        for t in 0..<1_000 { for i in 0..<20 { store.record(call("tool-\(t)", nil, clock, micros: UInt64(100 + i * i * 5_000 + t))) } }
        for _ in benchmark.scaledIterations {
            benchmark.stopMeasurement()
            for t in 0..<1_000 { store.record(call("tool-\(t)", nil, clock, micros: 500)) }
            benchmark.startMeasurement()
            blackHole(try? ReportJSONWriter.data(store.report()))
        }
    }

    Benchmark("exposition: /metrics text, 1000 targets", configuration: .init(metrics: [.wallClock, .mallocCountTotal], timeUnits: .milliseconds, scalingFactor: .one, maxIterations: 200)) { benchmark in
        let store = MetricsStore(clock: clock)
        for t in 0..<1_000 { for i in 0..<20 { store.record(call("tool-\(t)", nil, clock, micros: UInt64(100 + i * 37 + t))) } }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var exposition = PrometheusExposition()
            exposition.writeCalls(store.counters(), server: "bench")
            blackHole(exposition.finish())
        }
    }
}

func call(_ name: String, _ handle: TargetHandle?, _ clock: SystemWatchClock, micros: UInt64 = 250) -> CompletedCall {
    CompletedCall(method: "tools/call", target: name, id: RequestID(1), outcome: .ok, durationNanos: micros * 1_000,
                  finishedAt: clock.now(), requestBytes: 150, responseBytes: 300, handle: handle)
}

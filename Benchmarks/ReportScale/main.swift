// What /api/report and /metrics cost with 1,000 targets (issue 3: at most 20 ms each), on the real code paths.
// Run: MCPWATCH_BENCHMARKS=1 swift run -c release --scratch-path .build-bench ReportScale
import CompressNIO
import Foundation
import MCPWatchCompression
import MCPWatchCore
import NIOCore

// 1,000 targets with 20 calls each; every target gets a new call before each measured report, so nothing comes
// from the per-target cache (the worst case). "wide" spreads latencies from 100 µs to 1.8 s, which makes the
// percentile walk longest, and fails one call in four, so that every target has two duration histograms (ok and
// tool_error) in /metrics; "narrow" keeps them under 2 ms, all ok.
let clock = SystemWatchClock()

func call(_ name: String, micros: UInt64, failed: Bool = false) -> CompletedCall {
    CompletedCall(method: "tools/call", target: name, id: RequestID(1), outcome: failed ? .toolError : .ok, durationNanos: micros * 1_000,
                  finishedAt: clock.now(), requestBytes: 150, responseBytes: 300, errorMessage: failed ? "failed" : nil)
}

func measure(_ label: String, runs: Int = 30, prepare: () -> Void = {}, _ body: () throws -> Int) rethrows {
    var samples: [Double] = []
    var size = 0
    for _ in 0..<runs {
        prepare()
        let start = ContinuousClock.now
        size = try body()
        let elapsed = ContinuousClock.now - start
        samples.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3)
    }
    samples.sort()
    print(String(format: "%-58@ median %6.2f ms  p90 %6.2f ms  (%d bytes)", label as NSString, samples[runs / 2], samples[runs * 9 / 10], size))
}

for (shape, latency) in [("narrow", { (t: Int, i: Int) in UInt64(100 + i * 37 + t) }), ("wide", { (t: Int, i: Int) in UInt64(100 + i * i * 5_000 + t) })] {
    let store = MetricsStore(clock: clock)
    for t in 0..<1_000 { for i in 0..<20 { store.record(call("tool-\(t)", micros: latency(t, i), failed: shape == "wide" && i % 4 == 0)) } }
    let touch = { for t in 0..<1_000 { store.record(call("tool-\(t)", micros: 500)) } }
    try measure("\(shape): /api/report body, 1,000 targets all changed", prepare: touch) {
        try ReportJSONWriter.data(store.report()).count
    }
    try measure("\(shape): /api/report body, 1,000 targets unchanged") { try ReportJSONWriter.data(store.report()).count }
    try measure("\(shape): same report through JSONEncoder (before)", runs: 10, prepare: touch) {
        try Report.encoder().encode(store.report()).count
    }
    measure("\(shape): /metrics text, 1,000 targets", prepare: touch) {
        var exposition = PrometheusExposition()
        exposition.writeCalls(store.counters(), server: "bench")
        return exposition.finishBytes().count
    }
    // gzip, as Prometheus asks for it: the text and its compression, as the endpoint does them.
    func scrapeText() -> (text: [UInt8], segments: [(key: PrometheusExposition.SegmentKey, start: Int)]) {
        var exposition = PrometheusExposition(capacity: 64 << 10 + 1_000 * 7_000)
        exposition.writeCalls(store.counters(), server: "bench")
        let text = exposition.finishBytes()
        return (text, exposition.segments.map { (key: $0.key, start: $0.start) })
    }
    try measure("\(shape): /metrics gzip, one deflate pass (before)", prepare: touch) {
        var buffer = ByteBuffer(bytes: scrapeText().text)
        return try buffer.compress(with: .gzip(configuration: .init(compressionLevel: .fastestCompression))).readableBytes
    }
    let gzip = SegmentedGzip<PrometheusExposition.SegmentKey>()
    measure("\(shape): /metrics gzip, segmented, all 1,000 changed", prepare: touch) {
        let scrape = scrapeText()
        return gzip.compress(scrape.text, segments: scrape.segments).count
    }
    // 200 calls/s over 1,000 tools, scraped every 0.2 s (scripts/bench/scale-http): about 40 tools change between scrapes.
    var next = 0
    let touchSome = { for _ in 0..<40 { store.record(call("tool-\(next % 1_000)", micros: 500)); next += 7 } }
    measure("\(shape): /metrics gzip, segmented, 40 changed", prepare: touchSome) {
        let scrape = scrapeText()
        return gzip.compress(scrape.text, segments: scrape.segments).count
    }
    measure("\(shape): /metrics gzip, segmented, unchanged") {
        let scrape = scrapeText()
        return gzip.compress(scrape.text, segments: scrape.segments).count
    }
}

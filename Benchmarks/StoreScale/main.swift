// The local store's figures (issue 18): a flush of 1,000 changed targets, growth per desktop-like server-day, a
// 24 h fleet overview of 20 servers and one server's 30-day report, on the real writer and reader, with an injected
// clock so that days pass in seconds.
//
//   MCPWATCH_STORE_BENCHMARK=1 swift run -c release StoreScale [folder]
import Dispatch
import Foundation
import Logging
import MCPWatchCore
import MCPWatchStore

func say(_ line: String) { print(line); fflush(nil) }
let folder = CommandLine.arguments.dropFirst().first ?? NSTemporaryDirectory() + "mcpwatch-store-scale-\(getpid())"
/// Which parts to run (`flush`, `growth`, `fleet`; default all): `StoreScale FOLDER fleet`.
let phases = Set(CommandLine.arguments.dropFirst(2))
func wanted(_ phase: String) -> Bool { phases.isEmpty || phases.contains(phase) }
if !phases.contains("read") { try? FileManager.default.removeItem(atPath: folder) }
try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
defer { if phases.isEmpty { try? FileManager.default.removeItem(atPath: folder) } }

func milliseconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// This thread's CPU time in ms: on a machine shared with other builds, wall time mostly measures waiting for a core.
func threadCPUms() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) / 1e6
}

struct Simulated {
    let clock = ManualClock(wall: Date().addingTimeInterval(-40 * 86_400))
    let metrics: MetricsStore
    let writer: StoreWriter

    init(path: String, name: String) {
        metrics = MetricsStore(clock: clock)
        var settings = StoreSettings()
        settings.path = path
        let clock = clock
        writer = StoreWriter(settings: settings, identity: StoreIdentity(configuredName: name, command: nil, mode: "stdio", transport: "pipe"),
                             sources: .init(metrics: metrics), logger: Logger(label: "bench"), now: { clock.wallNow() })
        metrics.callLog.enable()
    }

    func call(_ target: String, micros: UInt64, failed: Bool = false) {
        metrics.record(CompletedCall(method: "tools/call", target: target, id: RequestID(1), outcome: failed ? .toolError : .ok,
                                     durationNanos: micros * 1_000, finishedAt: clock.now(), requestBytes: 120, responseBytes: 480))
    }
}

func latency() -> UInt64 { UInt64.random(in: 200...40_000) }

// 1. A flush of 1,000 changed targets (the writer's own time, as StoreStatus measures it), over two minutes so that
// the flushes that close a minute (each target's minute and hour rows written whole, and the new minute's first rows)
// are measured too.
if wanted("flush") {
    let sim = Simulated(path: folder + "/flush.db", name: "wide")
    var times: [Double] = [], cpu: [Double] = []
    var closing: [Double] = [], closingCPU: [Double] = []
    for round in 0..<130 {
        for t in 0..<1_000 { sim.call("tool-\(t)", micros: latency(), failed: t % 50 == 0) }
        let minute = Int(sim.clock.wallNow().timeIntervalSince1970) / 60
        sim.clock.advance(seconds: 1)
        let before = threadCPUms()
        sim.writer.flush()
        let used = threadCPUms() - before
        guard round >= 5 else { continue }
        let ms = sim.writer.status.snapshot.lastFlushSeconds * 1_000
        if Int(sim.clock.wallNow().timeIntervalSince1970) / 60 != minute {
            closing.append(ms); closingCPU.append(used)
        } else {
            times.append(ms); cpu.append(used)
        }
    }
    sim.writer.close()
    let all = times + closing, allCPU = cpu + closingCPU
    say(String(format: "flush of 1,000 changed targets: median %.2f ms, max %.2f ms (of %d flushes); the %d that closed a minute: median %.2f ms",
               median(all), all.max()!, all.count, closing.count, closing.isEmpty ? 0 : median(closing)))
    say(String(format: "  the writer thread's CPU time: median %.2f ms, max %.2f ms; closing a minute: median %.2f ms",
               median(allCPU), allCPU.max()!, closingCPU.isEmpty ? 0 : median(closingCPU)))
}

// 2. Growth for a desktop-like server: 10 tools, 1 call/s, a whole day, one flush a second.
if wanted("growth") {
    let path = folder + "/day.db"
    let sim = Simulated(path: path, name: "desktop")
    for second in 0..<86_400 {
        sim.call("tool-\(second % 10)", micros: latency(), failed: second % 100 == 0)
        sim.clock.advance(seconds: 1)
        sim.writer.flush()
    }
    sim.writer.flush(final: true)
    sim.writer.close()
    let bytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    say(String(format: "growth per desktop-like server-day (10 tools, 1 call/s, 86,400 calls logged): %.2f MB", Double(bytes) / 1e6))
}

// 3. and 4. Twenty servers for a day, written a minute at a time (a day takes 1,440 flushes), the first of them for
// 30 days (the 29 days before the last written an hour at a time: the same hour rows, 24 times fewer flushes).
if wanted("fleet") || wanted("read") {
    let path = folder + "/fleet.db"
    // `read`: only the queries, over the fleet.db an earlier `fleet` run left in FOLDER.
    for s in 0..<(wanted("fleet") ? 20 : 0) {
        let sim = Simulated(path: path, name: "server-\(s)")
        let days = s == 0 ? 30 : 1
        // Start each so that it ends now (the clock starts 40 days back).
        sim.clock.advance(seconds: Double((40 - days) * 86_400))
        for _ in 0..<((days - 1) * 24) {
            for c in 0..<600 { sim.call("tool-\(c % 10)", micros: latency(), failed: c == 0) }
            sim.clock.advance(seconds: 3_600)
            sim.writer.flush()
        }
        for _ in 0..<1_440 {
            for c in 0..<60 { sim.call("tool-\(c % 10)", micros: latency(), failed: c == 0) }
            sim.clock.advance(seconds: 60)
            sim.writer.flush()
        }
        sim.writer.flush(final: true)
        sim.writer.close()
    }
    let reader = try StoreReader(path: path)
    let now = Date()
    var overview: [Double] = []
    var report: [Double] = []
    for _ in 0..<11 {
        overview.append(try milliseconds { _ = try reader.servers(window: .seconds(86_400), now: now) })
        report.append(try milliseconds { _ = try reader.report(server: "server-0", since: now.addingTimeInterval(-30 * 86_400), until: now, now: now) })
    }
    let servers = try reader.servers(window: .seconds(86_400), now: now)
    precondition(servers.count == 20 && servers.allSatisfy { $0.calls > 0 }, "the fleet is not all there")
    say(String(format: "fleet overview, 20 servers over 24 h: median %.2f ms", median(overview)))
    say(String(format: "one server's 30-day report: median %.2f ms", median(report)))
}

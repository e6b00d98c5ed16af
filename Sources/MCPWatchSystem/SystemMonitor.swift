import Foundation
import MCPWatchCore
import Synchronization

/// Samples mcpwatch, the monitored server's process tree and the host, and keeps the last window of samples.
///
/// ``sample(at:)`` takes one sample (the caller's loop, or a test with an injected time); ``report(includeSeries:)``
/// turns the window into current, average and maximum figures.
public final class SystemMonitor: Sendable {
    struct ProcessPoint: Sendable {
        var sample: ProcessSampler.Sample
        var cpuPercent: Double
    }

    struct Point: Sendable {
        var time: Date
        var mcpwatch: ProcessPoint
        var server: ProcessPoint?
        var host: HostSampler.Sample
        var hostCPUPercent: Double
        var diskUsedPercent: Double
    }

    struct State: Sendable {
        var points: [Point] = []
        var serverPid: Int32?
        var everyChild = false
        var previous: (monotonic: Double, selfTicks: UInt64, serverTicks: UInt64?, host: HostSampler.Sample)?
    }

    /// Time between samples.
    public let interval: Duration
    /// How much history is kept.
    public let window: Duration
    private let selfSampler: ProcessSampler
    private let hostSampler: HostSampler
    private let capacity: Int
    private let state = Mutex(State())
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    static let bootTime = ProcFiles.read("/proc/stat").flatMap(ProcFiles.parseBootTime).map { Double($0) } ?? 0

    /// Creates a monitor.
    /// - Parameters:
    ///   - interval: time between samples.
    ///   - window: how long samples are kept.
    ///   - dataDirectory: the folder whose filesystem's disk use is reported.
    public init(interval: Duration = .seconds(5), window: Duration = .seconds(3_600), dataDirectory: String = ".") {
        self.interval = interval
        self.window = window
        selfSampler = ProcessSampler(pid: getpid(), includeDescendants: false)
        // Absolute, so that reports name the folder ("." says nothing to someone reading them elsewhere).
        let absolute = dataDirectory.hasPrefix("/")
            ? dataDirectory : URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
        hostSampler = HostSampler(diskPath: absolute)
        let ratio = Self.seconds(window) / max(0.001, Self.seconds(interval))
        capacity = max(2, Int(ratio.rounded(.up)))
    }

    /// Starts (or changes) the monitored server's root process.
    /// - Parameter everyChild: count every process mcpwatch started (with their descendants) as the server, and `pid`
    ///   only names it: the bridge runs a server process per session.
    public func monitorServer(pid: Int32?, everyChild: Bool = false) {
        state.withLock {
            $0.serverPid = pid
            $0.everyChild = everyChild
        }
    }

    /// Takes one sample.
    /// - Parameters:
    ///   - time: the wall-clock time to stamp it with.
    ///   - monotonicSeconds: a monotonic reading, for CPU rates (injected in tests).
    public func sample(at time: Date = Date(), monotonicSeconds: Double = Double(DispatchTime.now().uptimeNanoseconds) / 1e9) {
        let (serverPid, everyChild) = state.withLock { ($0.serverPid, $0.everyChild) }
        let me = selfSampler.sample()
        let server = serverPid.map {
            everyChild ? ProcessSampler(pid: getpid(), includeDescendants: true, excludingRoot: true).sample()
                : ProcessSampler(pid: $0, includeDescendants: true).sample()
        }
        let host = hostSampler.sample()
        let disk = hostSampler.diskUsedPercent()
        state.withLock { state in
            var selfCPU = 0.0, serverCPU = 0.0, hostCPU = 0.0
            if let previous = state.previous, monotonicSeconds - previous.monotonic < Self.minimumRateSeconds {
                // Too soon after the last sample (the server just appeared): CPU time moves in 10 ms ticks, so a rate
                // over a few dozen milliseconds is mostly rounding (it showed mcpwatch at 279 % on 2 cores). Keep the
                // last rates and the baseline; only a new server gets its baseline now.
                selfCPU = state.points.last?.mcpwatch.cpuPercent ?? 0
                hostCPU = state.points.last?.hostCPUPercent ?? 0
                if previous.serverTicks != nil, server != nil { serverCPU = state.points.last?.server?.cpuPercent ?? 0 }
                state.previous = (previous.monotonic, previous.selfTicks, previous.serverTicks ?? server?.cpuTicks, previous.host)
            } else {
                if let previous = state.previous {
                    let elapsed = monotonicSeconds - previous.monotonic
                    selfCPU = Self.percent(ticks: me.cpuTicks, since: previous.selfTicks, over: elapsed)
                    if let server, let before = previous.serverTicks { serverCPU = Self.percent(ticks: server.cpuTicks, since: before, over: elapsed) }
                    let total = host.cpuTotalTicks &- previous.host.cpuTotalTicks
                    let busy = host.cpuBusyTicks &- previous.host.cpuBusyTicks
                    if host.cpuTotalTicks > previous.host.cpuTotalTicks && busy <= total { hostCPU = Double(busy) / Double(total) * 100 }
                }
                state.previous = (monotonicSeconds, me.cpuTicks, server?.cpuTicks, host)
            }
            state.points.append(Point(
                time: time, mcpwatch: ProcessPoint(sample: me, cpuPercent: selfCPU),
                server: server.map { ProcessPoint(sample: $0, cpuPercent: serverCPU) }, host: host, hostCPUPercent: hostCPU,
                diskUsedPercent: disk))
            if state.points.count > capacity { state.points.removeFirst(state.points.count - capacity) }
        }
    }

    /// How many samples are held (never more than the window's worth).
    public var sampleCount: Int { state.withLock { $0.points.count } }

    /// The window as a report, or nil before the first sample.
    public func report(includeSeries: Bool = false) -> SystemReport? {
        let points = state.withLock { $0.points }
        guard let last = points.last else { return nil }
        let memoryTotal = Double(max(1, last.host.memoryTotalBytes))
        func gauge(_ value: (Point) -> Double?) -> Gauge {
            let values = points.compactMap(value)
            guard let current = value(last), !values.isEmpty else { return Gauge(current: 0, avg: 0, max: 0) }
            return Gauge(current: current, avg: values.reduce(0, +) / Double(values.count), max: values.max() ?? current)
        }
        func process(_ pick: @escaping (Point) -> ProcessPoint?, pid: Int32) -> ProcessReport? {
            guard let now = pick(last) else { return nil }
            return ProcessReport(
                pid: pid, alive: now.sample.alive, processCount: now.sample.processCount,
                cpuPercent: gauge { pick($0)?.cpuPercent },
                residentBytes: gauge { pick($0).map { Double($0.sample.residentBytes) } },
                memoryPercent: gauge { pick($0).map { Double($0.sample.residentBytes) / memoryTotal * 100 } },
                virtualBytes: gauge { pick($0).map { Double($0.sample.virtualBytes) } },
                openFds: gauge { pick($0).map { Double($0.sample.openFds) } },
                threads: gauge { pick($0).map { Double($0.sample.threads) } },
                tcpConnections: gauge { pick($0).map { Double($0.sample.tcpConnections) } },
                readBytes: now.sample.readBytes, writtenBytes: now.sample.writtenBytes,
                cpuSecondsTotal: Double(now.sample.cpuTicks) / Self.ticksPerSecond,
                startTimeSeconds: Self.bootTime + Double(now.sample.startTicks) / Self.ticksPerSecond,
                maxFds: now.sample.maxFds)
        }
        let serverPid = state.withLock { $0.serverPid }
        let host = HostReport(
            cpuCount: ProcessInfo.processInfo.activeProcessorCount,
            cpuPercent: gauge { $0.hostCPUPercent },
            memoryUsedPercent: gauge { Double($0.host.memoryTotalBytes &- $0.host.memoryAvailableBytes) / Double(max(1, $0.host.memoryTotalBytes)) * 100 },
            memoryTotalBytes: last.host.memoryTotalBytes, memoryAvailableBytes: last.host.memoryAvailableBytes,
            load1: last.host.load.0, load5: last.host.load.1, load15: last.host.load.2, diskPath: hostSampler.diskPath,
            diskUsedPercent: gauge { $0.diskUsedPercent }, diskTotalBytes: last.host.diskTotalBytes, diskUsedBytes: last.host.diskUsedBytes,
            openFiles: last.host.openFiles)
        let series = includeSeries ? points.map { p in
            SystemPoint(
                time: p.time, serverCpuPercent: p.server?.cpuPercent, serverResidentBytes: p.server.map { Double($0.sample.residentBytes) },
                mcpwatchCpuPercent: p.mcpwatch.cpuPercent, mcpwatchResidentBytes: Double(p.mcpwatch.sample.residentBytes),
                hostCpuPercent: p.hostCPUPercent,
                hostMemoryUsedPercent: Double(p.host.memoryTotalBytes &- p.host.memoryAvailableBytes) / Double(max(1, p.host.memoryTotalBytes)) * 100)
        } : nil
        return SystemReport(
            sampledAt: last.time, intervalSeconds: Self.seconds(interval), windowSeconds: Self.seconds(window), samples: points.count,
            mcpwatch: process({ $0.mcpwatch }, pid: getpid())!, server: serverPid.flatMap { pid in process({ $0.server }, pid: pid) },
            host: host, series: series)
    }

    /// Samples every interval until cancelled (the first sample at once).
    public func run() async {
        while !Task.isCancelled {
            sample()
            try? await Task.sleep(for: interval)
        }
    }

    /// CPU rates are computed over at least this long.
    static let minimumRateSeconds = 0.5

    static func percent(ticks now: UInt64, since before: UInt64, over seconds: Double) -> Double {
        // A process that left the tree takes its ticks with it: never report a negative rate.
        guard now >= before else { return 0 }
        return Double(now - before) / ticksPerSecond / seconds * 100
    }

    static func seconds(_ d: Duration) -> Double { d.inSeconds }
}

import Foundation

/// Process and host figures sampled from /proc: what `/api/system` serves and the report embeds.
public struct SystemReport: Codable, Sendable, Equatable {
    /// When the latest sample was taken.
    public var sampledAt: Date
    /// Seconds between samples.
    public var intervalSeconds: Double
    /// Seconds of samples kept (averages and maxima are over these).
    public var windowSeconds: Double
    /// How many samples the window holds.
    public var samples: Int
    /// mcpwatch itself.
    public var mcpwatch: ProcessReport
    /// The monitored server with its descendants, when mcpwatch launched it.
    public var server: ProcessReport?
    /// The machine.
    public var host: HostReport
    /// The samples over the window, oldest first (only in `/api/system`, to keep the report small).
    public var series: [SystemPoint]?

    /// Creates a report.
    public init(sampledAt: Date, intervalSeconds: Double, windowSeconds: Double, samples: Int, mcpwatch: ProcessReport,
                server: ProcessReport?, host: HostReport, series: [SystemPoint]?) {
        self.sampledAt = sampledAt
        self.intervalSeconds = intervalSeconds
        self.windowSeconds = windowSeconds
        self.samples = samples
        self.mcpwatch = mcpwatch
        self.server = server
        self.host = host
        self.series = series
    }
}

/// A figure now, on average and at most over the window.
public struct Gauge: Codable, Sendable, Equatable {
    /// The latest value.
    public var current: Double
    /// The mean over the window.
    public var avg: Double
    /// The largest over the window.
    public var max: Double

    /// Creates a gauge.
    public init(current: Double, avg: Double, max: Double) {
        self.current = current
        self.avg = avg
        self.max = max
    }
}

/// One process, or a process with its descendants.
public struct ProcessReport: Codable, Sendable, Equatable {
    /// The (root) process id.
    public var pid: Int32
    /// Whether it still runs.
    public var alive: Bool
    /// Processes counted (the root and its descendants).
    public var processCount: Int
    /// CPU use in percent of one core (200 means two cores busy).
    public var cpuPercent: Gauge
    /// Resident memory in bytes.
    public var residentBytes: Gauge
    /// Resident memory in percent of the host's memory.
    public var memoryPercent: Gauge
    /// Virtual memory in bytes.
    public var virtualBytes: Gauge
    /// Open file descriptors.
    public var openFds: Gauge
    /// Threads.
    public var threads: Gauge
    /// TCP connections (sockets not listening).
    public var tcpConnections: Gauge
    /// Bytes read from storage, since start.
    public var readBytes: UInt64
    /// Bytes written to storage, since start.
    public var writtenBytes: UInt64
    /// CPU seconds used, since start.
    public var cpuSecondsTotal: Double
    /// When the (root) process started, in Unix seconds.
    public var startTimeSeconds: Double
    /// The open-file limit of the (root) process.
    public var maxFds: UInt64?

    /// Creates the value.
    public init(pid: Int32, alive: Bool, processCount: Int, cpuPercent: Gauge, residentBytes: Gauge, memoryPercent: Gauge, virtualBytes: Gauge, openFds: Gauge, threads: Gauge, tcpConnections: Gauge, readBytes: UInt64, writtenBytes: UInt64, cpuSecondsTotal: Double, startTimeSeconds: Double, maxFds: UInt64?) {
        self.pid = pid
        self.alive = alive
        self.processCount = processCount
        self.cpuPercent = cpuPercent
        self.residentBytes = residentBytes
        self.memoryPercent = memoryPercent
        self.virtualBytes = virtualBytes
        self.openFds = openFds
        self.threads = threads
        self.tcpConnections = tcpConnections
        self.readBytes = readBytes
        self.writtenBytes = writtenBytes
        self.cpuSecondsTotal = cpuSecondsTotal
        self.startTimeSeconds = startTimeSeconds
        self.maxFds = maxFds
    }
}

/// The machine.
public struct HostReport: Codable, Sendable, Equatable {
    /// Online CPUs.
    public var cpuCount: Int
    /// CPU use in percent of all CPUs.
    public var cpuPercent: Gauge
    /// Memory in use in percent (total minus available).
    public var memoryUsedPercent: Gauge
    /// Total memory in bytes.
    public var memoryTotalBytes: UInt64
    /// Available memory in bytes.
    public var memoryAvailableBytes: UInt64
    /// Load average over 1 minute.
    public var load1: Double
    /// Load average over 5 minutes.
    public var load5: Double
    /// Load average over 15 minutes.
    public var load15: Double
    /// The folder whose filesystem is measured.
    public var diskPath: String
    /// Disk use of that filesystem, in percent.
    public var diskUsedPercent: Gauge
    /// Its size in bytes.
    public var diskTotalBytes: UInt64
    /// Bytes used on it.
    public var diskUsedBytes: UInt64
    /// File handles open on the whole machine; null when unknown.
    public var openFiles: UInt64?

    /// Creates the value.
    public init(cpuCount: Int, cpuPercent: Gauge, memoryUsedPercent: Gauge, memoryTotalBytes: UInt64, memoryAvailableBytes: UInt64, load1: Double, load5: Double, load15: Double, diskPath: String, diskUsedPercent: Gauge, diskTotalBytes: UInt64, diskUsedBytes: UInt64, openFiles: UInt64? = nil) {
        self.cpuCount = cpuCount
        self.cpuPercent = cpuPercent
        self.memoryUsedPercent = memoryUsedPercent
        self.memoryTotalBytes = memoryTotalBytes
        self.memoryAvailableBytes = memoryAvailableBytes
        self.load1 = load1
        self.load5 = load5
        self.load15 = load15
        self.diskPath = diskPath
        self.diskUsedPercent = diskUsedPercent
        self.diskTotalBytes = diskTotalBytes
        self.diskUsedBytes = diskUsedBytes
        self.openFiles = openFiles
    }
}

/// One sample, for charts.
public struct SystemPoint: Codable, Sendable, Equatable {
    /// When.
    public var time: Date
    /// The server tree's CPU percent (null without a server).
    public var serverCpuPercent: Double?
    /// The server tree's resident bytes.
    public var serverResidentBytes: Double?
    /// mcpwatch's CPU percent.
    public var mcpwatchCpuPercent: Double
    /// mcpwatch's resident bytes.
    public var mcpwatchResidentBytes: Double
    /// The host's CPU percent.
    public var hostCpuPercent: Double
    /// The host's memory used percent.
    public var hostMemoryUsedPercent: Double

    /// Creates the value.
    public init(time: Date, serverCpuPercent: Double?, serverResidentBytes: Double?, mcpwatchCpuPercent: Double, mcpwatchResidentBytes: Double, hostCpuPercent: Double, hostMemoryUsedPercent: Double) {
        self.time = time
        self.serverCpuPercent = serverCpuPercent
        self.serverResidentBytes = serverResidentBytes
        self.mcpwatchCpuPercent = mcpwatchCpuPercent
        self.mcpwatchResidentBytes = mcpwatchResidentBytes
        self.hostCpuPercent = hostCpuPercent
        self.hostMemoryUsedPercent = hostMemoryUsedPercent
    }
}

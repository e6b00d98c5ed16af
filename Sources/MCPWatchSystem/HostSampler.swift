import Foundation

/// Reads the machine's CPU, memory, load and disk from /proc and statvfs.
public struct HostSampler: Sendable {
    /// Cumulative and current figures at one moment.
    public struct Sample: Sendable, Equatable {
        public var cpuBusyTicks: UInt64
        public var cpuTotalTicks: UInt64
        public var memoryTotalBytes: UInt64
        public var memoryAvailableBytes: UInt64
        public var load: (Double, Double, Double)
        public var diskTotalBytes: UInt64
        public var diskUsedBytes: UInt64
        /// File handles open on the whole machine (`/proc/sys/fs/file-nr`), nil when unreadable.
        public var openFiles: UInt64? = nil

        public static func == (a: Sample, b: Sample) -> Bool {
            a.cpuBusyTicks == b.cpuBusyTicks && a.cpuTotalTicks == b.cpuTotalTicks && a.memoryTotalBytes == b.memoryTotalBytes
                && a.memoryAvailableBytes == b.memoryAvailableBytes && a.load == b.load && a.diskTotalBytes == b.diskTotalBytes
                && a.diskUsedBytes == b.diskUsedBytes && a.openFiles == b.openFiles
        }
    }

    /// The folder whose filesystem's use is measured.
    public let diskPath: String

    /// Creates a sampler.
    public init(diskPath: String) { self.diskPath = diskPath }

    /// Reads the host now; a file that cannot be read leaves its figures at 0.
    public func sample() -> Sample {
        let cpu = ProcFiles.read("/proc/stat").flatMap(ProcFiles.parseCPUTicks) ?? (0, 0)
        let memory = ProcFiles.read("/proc/meminfo").flatMap(ProcFiles.parseMeminfo) ?? (0, 0)
        let load = ProcFiles.read("/proc/loadavg").flatMap(ProcFiles.parseLoadAverage) ?? (0, 0, 0)
        var fs = statvfs()
        var diskTotal: UInt64 = 0, diskUsed: UInt64 = 0
        if statvfs(diskPath, &fs) == 0 {
            let block = UInt64(fs.f_frsize)
            diskTotal = UInt64(fs.f_blocks) * block
            // As df does: used = total - free; percent = used / (used + available to users).
            diskUsed = (UInt64(fs.f_blocks) - UInt64(fs.f_bfree)) * block
        }
        return Sample(cpuBusyTicks: cpu.busy, cpuTotalTicks: cpu.total, memoryTotalBytes: memory.total,
                      memoryAvailableBytes: memory.available, load: load, diskTotalBytes: diskTotal, diskUsedBytes: diskUsed,
                      openFiles: ProcFiles.read("/proc/sys/fs/file-nr").flatMap { $0.split(whereSeparator: \.isWhitespace).first.flatMap { UInt64($0) } })
    }

    /// Disk use in percent, as `df` computes it.
    func diskUsedPercent() -> Double {
        var fs = statvfs()
        guard statvfs(diskPath, &fs) == 0 else { return 0 }
        let used = Double(fs.f_blocks - fs.f_bfree), available = Double(fs.f_bavail)
        return used + available > 0 ? used / (used + available) * 100 : 0
    }
}

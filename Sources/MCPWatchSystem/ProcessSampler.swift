import Foundation

/// Reads one process, or a process with all its descendants, from /proc.
public struct ProcessSampler: Sendable {
    /// Cumulative figures of a process tree at one moment.
    public struct Sample: Sendable, Equatable {
        public var alive: Bool
        public var processCount: Int
        public var cpuTicks: UInt64
        public var residentBytes: UInt64
        public var virtualBytes: UInt64
        public var openFds: Int
        public var threads: Int
        public var tcpConnections: Int
        public var readBytes: UInt64
        public var writtenBytes: UInt64
        public var startTicks: UInt64
        public var maxFds: UInt64?
    }

    /// The root process.
    public let pid: Int32
    /// Whether to add up its descendants (`uvx` and `npx` start the real server as a grandchild).
    public let includeDescendants: Bool
    /// Whether to count the descendants only, not the root itself (the bridge's servers: every child of mcpwatch).
    public let excludingRoot: Bool
    static let pageSize = UInt64(sysconf(Int32(_SC_PAGESIZE)))

    /// Creates a sampler.
    public init(pid: Int32, includeDescendants: Bool, excludingRoot: Bool = false) {
        self.pid = pid
        self.includeDescendants = includeDescendants
        self.excludingRoot = excludingRoot && includeDescendants
    }

    /// Reads the tree now. Processes that vanish while being read are skipped: that race is normal.
    public func sample() -> Sample {
        guard let rootText = ProcFiles.read("/proc/\(pid)/stat"), let root = ProcFiles.parseStat(rootText) else {
            return Sample(alive: false, processCount: 0, cpuTicks: 0, residentBytes: 0, virtualBytes: 0, openFds: 0, threads: 0,
                          tcpConnections: 0, readBytes: 0, writtenBytes: 0, startTicks: 0, maxFds: nil)
        }
        var stats = excludingRoot ? [] : [root]
        if includeDescendants { stats += descendants(of: pid) }
        var sample = Sample(alive: !stats.isEmpty, processCount: stats.count, cpuTicks: 0, residentBytes: 0, virtualBytes: 0, openFds: 0, threads: 0,
                            tcpConnections: 0, readBytes: 0, writtenBytes: 0,
                            startTicks: excludingRoot ? (stats.map(\.startTicks).min() ?? root.startTicks) : root.startTicks,
                            maxFds: ProcFiles.read("/proc/\(pid)/limits").flatMap(ProcFiles.parseMaxOpenFiles))
        var socketInodes = Set<UInt64>()
        for stat in stats {
            sample.cpuTicks += stat.userTicks + stat.systemTicks
            sample.residentBytes += stat.residentPages * Self.pageSize
            sample.virtualBytes += stat.virtualBytes
            sample.threads += stat.threads
            if let io = ProcFiles.read("/proc/\(stat.pid)/io").flatMap(ProcFiles.parseIO) {
                sample.readBytes += io.read
                sample.writtenBytes += io.written
            }
            let (fds, sockets) = Self.fileDescriptors(of: stat.pid)
            sample.openFds += fds
            socketInodes.formUnion(sockets)
        }
        if !socketInodes.isEmpty {
            var connections = Set<UInt64>()
            for file in ["tcp", "tcp6"] {
                if let text = ProcFiles.read("/proc/\(pid)/net/\(file)") { connections.formUnion(ProcFiles.parseTCPConnectionInodes(text)) }
            }
            sample.tcpConnections = socketInodes.intersection(connections).count
        }
        return sample
    }

    /// Every descendant of `root`, from one scan of /proc.
    func descendants(of root: Int32) -> [ProcFiles.Stat] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var children: [Int32: [ProcFiles.Stat]] = [:]
        for entry in entries {
            guard let first = entry.utf8.first, first >= 0x30 && first <= 0x39, let pid = Int32(entry), pid != root else { continue }
            guard let text = ProcFiles.read("/proc/\(pid)/stat"), let stat = ProcFiles.parseStat(text) else { continue }
            children[stat.parent, default: []].append(stat)
        }
        var out: [ProcFiles.Stat] = []
        var queue = [root]
        while let next = queue.popLast() {
            for child in children[next] ?? [] {
                out.append(child)
                queue.append(child.pid)
            }
        }
        return out
    }

    /// The number of open descriptors of a process, and the inodes of its sockets.
    static func fileDescriptors(of pid: Int32) -> (count: Int, sockets: Set<UInt64>) {
        guard let dir = opendir("/proc/\(pid)/fd") else { return (0, []) }
        defer { closedir(dir) }
        var count = 0
        var sockets = Set<UInt64>()
        var target = [CChar](repeating: 0, count: 64)
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name != "." && name != ".." else { continue }
            count += 1
            let n = readlink("/proc/\(pid)/fd/\(name)", &target, target.count - 1)
            guard n > 8 else { continue }
            let link = String(decoding: target[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if link.hasPrefix("socket:["), let inode = UInt64(link.dropFirst(8).dropLast()) { sockets.insert(inode) }
        }
        return (count, sockets)
    }
}

import Foundation

/// Parsers for /proc files: pure functions on text, so that tests can feed them captured content.
public enum ProcFiles {
    /// The fields of `/proc/PID/stat` that sampling needs.
    public struct Stat: Equatable, Sendable {
        public var pid: Int32
        public var parent: Int32
        public var userTicks: UInt64
        public var systemTicks: UInt64
        public var threads: Int
        public var startTicks: UInt64
        public var virtualBytes: UInt64
        public var residentPages: UInt64
    }

    /// Parses `/proc/PID/stat`. The command name is in parentheses and may itself hold spaces and `)`, so the
    /// fields are counted from the last `)`.
    public static func parseStat(_ text: String) -> Stat? {
        guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"),
              let pid = Int32(text[..<open].trimmingCharacters(in: .whitespaces)) else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // fields[0] is the state (field 3 of proc(5)); field N is fields[N - 3].
        guard fields.count >= 22 else { return nil }
        func u(_ n: Int) -> UInt64? { UInt64(fields[n - 3]) }
        guard let ppid = Int32(fields[1]), let utime = u(14), let stime = u(15), let threads = Int(fields[17]),
              let start = u(22), let vsize = u(23), let rss = Int64(fields[21]) else { return nil }
        return Stat(pid: pid, parent: ppid, userTicks: utime, systemTicks: stime, threads: threads, startTicks: start,
                    virtualBytes: vsize, residentPages: UInt64(max(0, rss)))
    }

    /// `read_bytes` and `write_bytes` of `/proc/PID/io` (falling back to `rchar`/`wchar`).
    public static func parseIO(_ text: String) -> (read: UInt64, written: UInt64)? {
        var values: [Substring: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, let v = UInt64(parts[1].trimmingCharacters(in: .whitespaces)) { values[parts[0]] = v }
        }
        guard let read = values["read_bytes"] ?? values["rchar"], let written = values["write_bytes"] ?? values["wchar"] else { return nil }
        return (read, written)
    }

    /// The soft "Max open files" of `/proc/PID/limits`.
    public static func parseMaxOpenFiles(_ text: String) -> UInt64? {
        for line in text.split(separator: "\n") where line.hasPrefix("Max open files") {
            let fields = line.dropFirst("Max open files".count).split(separator: " ")
            return fields.first.flatMap { UInt64($0) }
        }
        return nil
    }

    /// `MemTotal` and `MemAvailable` of `/proc/meminfo`, in bytes.
    public static func parseMeminfo(_ text: String) -> (total: UInt64, available: UInt64)? {
        var total: UInt64?, available: UInt64?
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let kib = UInt64(fields[1]) else { continue }
            if fields[0] == "MemTotal:" { total = kib * 1024 }
            if fields[0] == "MemAvailable:" { available = kib * 1024 }
        }
        guard let total, let available else { return nil }
        return (total, available)
    }

    /// Busy and total ticks of all CPUs, from the first line of `/proc/stat`.
    public static func parseCPUTicks(_ text: String) -> (busy: UInt64, total: UInt64)? {
        guard let line = text.split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        let values = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard values.count >= 4 else { return nil }
        // user nice system idle iowait irq softirq steal (guest time is already in user).
        let total = values.prefix(8).reduce(0, +)
        let idle = values[3] + (values.count > 4 ? values[4] : 0)
        return (total - idle, total)
    }

    /// `btime` of `/proc/stat`: when the machine booted, in Unix seconds.
    public static func parseBootTime(_ text: String) -> UInt64? {
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return UInt64(line.dropFirst(6).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// The three load averages of `/proc/loadavg`.
    public static func parseLoadAverage(_ text: String) -> (Double, Double, Double)? {
        let f = text.split(separator: " ")
        guard f.count >= 3, let a = Double(f[0]), let b = Double(f[1]), let c = Double(f[2]) else { return nil }
        return (a, b, c)
    }

    /// Socket inodes of `/proc/net/tcp` or `tcp6` that are not listening.
    public static func parseTCPConnectionInodes(_ text: String) -> Set<UInt64> {
        var inodes = Set<UInt64>()
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: " ")
            // sl local rem st tx:rx tr:when retrnsmt uid timeout inode; state 0A is LISTEN.
            guard f.count > 9, f[3] != "0A", let inode = UInt64(f[9]), inode != 0 else { continue }
            inodes.insert(inode)
        }
        return inodes
    }

    /// Reads a small file whole; nil when it cannot be read (a process that just exited, a permission).
    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            data += buffer[0..<n]
        }
        return String(decoding: data, as: UTF8.self)
    }
}

import Foundation
import Testing
@testable import MCPWatchCore
@testable import MCPWatchSystem

@Suite struct ProcFilesTests {
    @Test func statWithSpacesAndParenthesesInTheName() throws {
        let text = "4242 (my (odd) server) S 17 4242 4242 0 -1 4194560 1200 0 0 0 350 120 0 0 20 0 7 0 98765 123456789 2048 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0"
        let stat = try #require(ProcFiles.parseStat(text))
        #expect(stat == ProcFiles.Stat(pid: 4242, parent: 17, userTicks: 350, systemTicks: 120, threads: 7, startTicks: 98765,
                                       virtualBytes: 123456789, residentPages: 2048))
        #expect(ProcFiles.parseStat("garbage") == nil)
        #expect(ProcFiles.parseStat("1 (x) S 0") == nil)
    }

    @Test func otherFiles() throws {
        #expect(ProcFiles.parseIO("rchar: 10\nwchar: 20\nread_bytes: 4096\nwrite_bytes: 8192\n")! == (4096, 8192))
        #expect(ProcFiles.parseIO("rchar: 10\nwchar: 20\n")! == (10, 20))
        #expect(ProcFiles.parseMaxOpenFiles("Limit  Soft Limit  Hard Limit  Units\nMax open files            1024                 524288               files\n") == 1024)
        #expect(ProcFiles.parseMeminfo("MemTotal:       16000 kB\nMemFree: 1 kB\nMemAvailable:    4000 kB\n")! == (16_384_000, 4_096_000))
        let cpu = try #require(ProcFiles.parseCPUTicks("cpu  100 5 50 800 20 0 5 0 0 0\ncpu0 1 2 3 4\n"))
        #expect(cpu == (160, 980))
        #expect(ProcFiles.parseBootTime("cpu 1 2 3 4\nbtime 1700000000\n") == 1_700_000_000)
        #expect(ProcFiles.parseLoadAverage("0.50 1.25 2.00 1/234 5678\n")! == (0.5, 1.25, 2.0))
        let tcp = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0
               1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 20 4 30 10 -1
            """
        #expect(ProcFiles.parseTCPConnectionInodes(tcp) == [222])
    }

    @Test func liveSelf() throws {
        let sample = ProcessSampler(pid: getpid(), includeDescendants: false).sample()
        #expect(sample.alive)
        #expect(sample.processCount == 1)
        #expect(sample.residentBytes > 1 << 20)
        #expect(sample.threads >= 1)
        #expect(sample.openFds >= 3)
        #expect(sample.maxFds != nil)
    }
}

@Suite struct SystemMonitorTests {
    @Test func descendantsAreCounted() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "sleep 20 & sleep 20 & wait"]
        // Not our stdout: the test runner would wait for the sleeps to close it.
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { process.terminate() }
        let sampler = ProcessSampler(pid: process.processIdentifier, includeDescendants: true)
        // The shell forks its children right after starting; poll until both are there.
        var count = 0
        for _ in 0..<500 where count < 3 {
            count = sampler.sample().processCount
            if count < 3 { usleep(10_000) }
        }
        for child in sampler.descendants(of: process.processIdentifier) { kill(child.pid, SIGKILL) }
        #expect(count == 3)
    }

    @Test func tcpConnectionsOfThisProcess() throws {
        let before = ProcessSampler(pid: getpid(), includeDescendants: false).sample().tcpConnections
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        listen(listener, 1)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, length) } }
        #expect(connected == 0)
        let server = accept(listener, nil, nil)
        defer { close(client); close(server); close(listener) }
        let after = ProcessSampler(pid: getpid(), includeDescendants: false).sample().tcpConnections
        // The listener does not count; both ends of the new connection do.
        #expect(after == before + 2)
    }

    @Test func vanishedProcessIsNotAlive() {
        let sample = ProcessSampler(pid: Int32.max - 1, includeDescendants: true).sample()
        #expect(!sample.alive)
    }

    @Test func windowIsBoundedAndAveraged() throws {
        let monitor = SystemMonitor(interval: .seconds(1), window: .seconds(10), dataDirectory: "/")
        monitor.monitorServer(pid: getpid())
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for i in 0..<25 { monitor.sample(at: start.addingTimeInterval(Double(i)), monotonicSeconds: Double(i)) }
        #expect(monitor.sampleCount == 10)
        let report = try #require(monitor.report(includeSeries: true))
        #expect(report.samples == 10)
        #expect(report.series?.count == 10)
        #expect(report.sampledAt == start.addingTimeInterval(24))
        let server = try #require(report.server)
        #expect(server.alive)
        #expect(server.residentBytes.max >= server.residentBytes.avg)
        #expect(report.host.memoryTotalBytes > 0)
        #expect(report.host.diskUsedPercent.current > 0 && report.host.diskUsedPercent.current <= 100)
        #expect(report.host.cpuCount >= 1)
        #expect(report.mcpwatch.startTimeSeconds > 1_600_000_000)
    }

    @Test func aRateIsNeverTakenOverAFewMilliseconds() throws {
        let monitor = SystemMonitor(interval: .seconds(1), window: .seconds(10), dataDirectory: "/")
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        monitor.sample(at: start, monotonicSeconds: 100)
        // 50 ms of CPU between two samples 10 ms apart: taken as a rate it would read 500 %.
        let deadline = ContinuousClock.now + .milliseconds(50)
        var x = 0.0
        while ContinuousClock.now < deadline { x += sin(x) + 1 }
        #expect(x > 0)
        monitor.sample(at: start.addingTimeInterval(0.01), monotonicSeconds: 100.01)
        let soon = try #require(monitor.report())
        #expect(soon.mcpwatch.cpuPercent.current == 0)
        // Over a whole second the same CPU time is a rate again, from the first sample's baseline.
        monitor.sample(at: start.addingTimeInterval(1), monotonicSeconds: 101)
        let later = try #require(monitor.report())
        #expect(later.mcpwatch.cpuPercent.current > 0)
        #expect(later.mcpwatch.cpuPercent.current <= Double(ProcessInfo.processInfo.activeProcessorCount) * 100)
    }

    @Test func noReportBeforeTheFirstSample() {
        #expect(SystemMonitor().report() == nil)
    }
}

@Suite struct LiveProcTests {
    /// Guards against `.map(Double.init)` on a UInt64, which once picked `init(bitPattern:)`.
    @Test func bootTimeIsRead() throws {
        let text = try #require(ProcFiles.read("/proc/stat"))
        #expect(text.contains("btime"), "\(text.count) chars")
        #expect(ProcFiles.parseBootTime(text) != nil)
        #expect(SystemMonitor.bootTime > 1_600_000_000)
    }
}

import ArgumentParser
import AsyncHTTPClient
import Dispatch
import Foundation
import Logging
import MCPWatchCore
import MCPWatchProxy
import ServiceLifecycle
import Synchronization
import UnixSignals

/// `mcpwatch demo`: the demo MCP server behind `mcpwatch proxy`, with a built-in client driving realistic traffic,
/// so that a new user sees live figures and alerts within seconds.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the built-in demo: the demo MCP server behind mcpwatch, with live traffic, until Ctrl-C.",
        discussion: """
            Starts `mcpwatch proxy` in front of `mcpwatch demo-server` and drives it from a
            built-in client: a mix of tools (some slow, some failing now and then, one with
            large results), prompts and resources, with bursts. Then open the printed
            addresses. Alert rules are tuned to react within seconds, so the demo's slow
            and flaky tools fire alerts.

            Examples:
              mcpwatch demo
              mcpwatch demo --listen 127.0.0.1:9999 --rate 50
              mcpwatch demo --duration 30s
            """)

    @Option(name: .long, help: ArgumentHelp("Serve the API on HOST:PORT (default 127.0.0.1:9470; port 0 picks a free one).", valueName: "host:port"))
    var listen: String = "127.0.0.1:9470"

    @Option(name: .long, help: ArgumentHelp("Calls per second between bursts.", valueName: "n"))
    var rate: Double = 20

    @Option(name: .long, help: ArgumentHelp("Stop after this long: 30s, 5m, or a number of seconds (default: run until Ctrl-C).", valueName: "duration"))
    var duration: Duration?

    func validate() throws {
        guard (try? ListenAddress(parsing: listen)) != nil else { throw ValidationError("--listen expects HOST:PORT, e.g. 127.0.0.1:9470") }
        guard rate > 0 && rate <= 10_000 else { throw ValidationError("--rate must be between 0 and 10000 calls per second") }
        if let duration, !(duration > .zero) { throw ValidationError("--duration must be above zero") }
    }

    /// Rules that react within seconds, so the demo shows alerts firing and resolving.
    static let demoConfiguration = """
        alerts:
          interval: 2s
          rules:
            - name: tool_latency_p95
              window: 1m
              for: 10s
              min_samples: 10
              resolve_delay: 20s
            - name: tool_success_rate
              window: 1m
              warning: 95%
              critical: 75%
              for: 10s
              min_samples: 10
              resolve_delay: 20s
            - name: error_rate
              window: 1m
              for: 10s
              min_samples: 20
              resolve_delay: 20s
        """

    func run() async throws {
        var address = try ListenAddress(parsing: listen)
        if address.port == 0 { address.port = Self.freePort(host: address.host) }
        let me = Self.executablePath()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mcpwatch-demo-\(getpid())")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let configPath = folder.appendingPathComponent("demo.yaml").path
        try Self.demoConfiguration.write(toFile: configPath, atomically: true, encoding: .utf8)

        signal(SIGPIPE, SIG_IGN)
        let proxy: ChildProcess
        do {
            proxy = try ChildProcess.spawn([me, "proxy", "--config", configPath, "--listen", "\(address)", "--log-level", "warning",
                                            "--", me, "demo-server"])
        } catch let error as WatchError {
            throw WatchError(error.code, "the demo cannot start its proxy: \(error.message)")
        }
        let base = "http://\(address.host.contains(":") ? "[\(address.host)]" : address.host):\(address.port)"
        let demo = DemoRun(proxy: proxy, traffic: DemoTraffic(input: proxy.stdinFD, output: proxy.stdoutFD, rate: rate),
                           address: address, base: base, duration: duration)
        // One group: the demo runs until its time is up, the proxy ends, or a signal shuts the group down.
        var quiet = Logger(label: "mcpwatch.demo")
        quiet.logLevel = .critical
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: demo, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigint, .sigterm, .sighup], logger: quiet))
        try await group.run()
        guard let outcome = demo.outcome else { throw ExitCode(ExitStatus.failure) }
        if case .exited(0) = outcome.exit { return }
        if outcome.stopped { return }  // stopped by a signal: the proxy's status follows it
        throw ExitCode(ExitStatus.failure)
    }

    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    static func freePort(host: String) -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return 9470 }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        return bound ? Int(UInt16(bigEndian: addr.sin_port)) : 9470
    }

    static func waitForAPI(_ url: String, proxy: ChildProcess) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline && proxy.exit == nil {
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(1)) {
                _ = try? await response.body.collect(upTo: 1 << 20)
                return true
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}

/// The demo's built-in MCP client: raw JSON-RPC lines to the proxy's stdin, answers read and counted on a thread.
final class DemoTraffic: Sendable {
    let input: Int32
    let output: Int32
    let rate: Double
    private let state = Mutex<(sent: Int, answered: Int, stopped: Bool, outstanding: Int)>((0, 0, false, 0))
    private let writerDone = DispatchSemaphore(value: 0)

    init(input: Int32, output: Int32, rate: Double) {
        self.input = input
        self.output = output
        self.rate = rate
    }

    func start() {
        let reader = Thread { [self] in readLoop() }
        let writer = Thread { [self] in writeLoop() }
        reader.start()
        writer.start()
    }

    func stop() { state.withLock { $0.stopped = true } }

    /// Closes the proxy's input (it then stops the server and exits) and reports the counts.
    func finish(closing proxy: ChildProcess) -> (sent: Int, answered: Int) {
        stop()
        // Let the writer see the stop before its descriptor goes away.
        _ = writerDone.wait(timeout: .now() + 2)
        proxy.closeStdin()
        return state.withLock { ($0.sent, $0.answered) }
    }

    private func send(_ line: String) -> Bool {
        var bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(input, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    private func writeLoop() {
        defer { writerDone.signal() }
        var generator = SystemRandomNumberGenerator()
        _ = send(#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"mcpwatch-demo-client","version":"1"}}}"#)
        _ = send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        _ = send(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        state.withLock { $0.sent = 2; $0.outstanding = 2 }
        var id = 2
        var nextBurst = Date().addingTimeInterval(15)
        while !state.withLock({ $0.stopped }) {
            var count = 1
            if Date() >= nextBurst {
                count = 60  // a burst: many calls at once, to show throughput and in-flight peaks
                nextBurst = Date().addingTimeInterval(Double.random(in: 15...30, using: &generator))
            }
            for _ in 0..<count {
                // Bounded: a stalled server must not make the demo client pile up calls without end.
                guard state.withLock({ $0.outstanding < 200 }) else { break }
                guard send(Self.request(id: id, generator: &generator)) else { stop(); return }
                state.withLock { $0.sent += 1; $0.outstanding += 1 }
                id += 1
            }
            let pause = Double.random(in: 0.5...1.5, using: &generator) / rate
            usleep(useconds_t(pause * 1_000_000))
        }
    }

    static func request(id: Int, generator: inout SystemRandomNumberGenerator) -> String {
        let r = Double.random(in: 0..<1, using: &generator)
        let call: (String, String)
        switch r {
        case ..<0.30: call = ("tools/call", #"{"name":"echo","arguments":{"text":"hello \#(id)"}}"#)
        case ..<0.55:
            let words = ["mcp", "latency", "swift", "monitoring", "prometheus", "alerts"]
            call = ("tools/call", #"{"name":"search","arguments":{"query":"\#(words.randomElement(using: &generator)!)","limit":\#(Int.random(in: 1...10, using: &generator))}}"#)
        case ..<0.70:
            // Now and then a division by zero: a JSON-RPC error.
            let b = Double.random(in: 0..<1, using: &generator) < 0.08 ? 0 : Int.random(in: 1...9, using: &generator)
            call = ("tools/call", #"{"name":"calculate","arguments":{"a":\#(Int.random(in: 1...100, using: &generator)),"b":\#(b),"op":"div"}}"#)
        case ..<0.85: call = ("tools/call", #"{"name":"flaky_fetch","arguments":{"url":"https://example.com/\#(id % 50)"}}"#)
        case ..<0.89: call = ("tools/call", #"{"name":"large_result","arguments":{"kilobytes":\#(Int.random(in: 16...512, using: &generator))}}"#)
        case ..<0.93: call = ("tools/call", #"{"name":"slow_report","arguments":{"seconds":\#(String(format: "%.1f", Double.random(in: 0.3...2.5, using: &generator)))}}"#)
        case ..<0.96: call = ("prompts/get", #"{"name":"summarize","arguments":{"topic":"MCP servers"}}"#)
        case ..<0.99: call = ("resources/read", #"{"uri":"demo://readme"}"#)
        default: call = ("tools/list", "{}")
        }
        return #"{"jsonrpc":"2.0","id":\#(id),"method":"\#(call.0)","params":\#(call.1)}"#
    }

    private func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            let lines = buffer[..<n].reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
            state.withLock {
                $0.answered += lines
                $0.outstanding = max(0, $0.outstanding - lines)
            }
        }
    }
}

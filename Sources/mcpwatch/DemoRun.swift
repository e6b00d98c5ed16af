import Foundation
import MCPWatchCore
import MCPWatchProxy
import ServiceLifecycle
import Synchronization

/// One run of `mcpwatch demo` as a service: drives the proxy until the time is up, the proxy ends, or graceful
/// shutdown (a signal to the demo); then stops the traffic, closes the proxy's input (it stops the server and exits)
/// and prints the summary.
final class DemoRun: Service {
    let proxy: ChildProcess
    let traffic: DemoTraffic
    let address: ListenAddress
    let base: String
    let duration: Duration?
    private let result = Mutex<(exit: ChildExit, stopped: Bool)?>(nil)

    init(proxy: ChildProcess, traffic: DemoTraffic, address: ListenAddress, base: String, duration: Duration?) {
        self.proxy = proxy
        self.traffic = traffic
        self.address = address
        self.base = base
        self.duration = duration
    }

    /// How the proxy ended, and whether a signal stopped the demo; nil until ``run()`` has returned.
    var outcome: (exit: ChildExit, stopped: Bool)? { result.withLock { $0 } }

    /// What ended the wait.
    private enum End: Sendable {
        case proxyExited(ChildExit)
        case stopped
        case timeUp
        case cancelled
    }

    func run() async throws {
        let (proxy, traffic, duration) = (proxy, traffic, duration)
        traffic.start()
        if await DemoCommand.waitForAPI(base + "/api/health", proxy: proxy) {
            print("""
                mcpwatch demo: the demo MCP server runs behind mcpwatch, driven by a built-in client.
                  dashboard: open \(base)/ in a browser (live charts, tools, alerts, the tool explorer)
                  report:   \(base)/api/report
                  tools:    \(base)/api/tools
                  alerts:   \(base)/api/alerts   (slow and flaky tools fire within a minute)
                  health:   \(base)/api/health   (or: mcpwatch health \(base))
                  metrics:  \(base)/metrics      (Prometheus)
                Ctrl-C stops.
                """)
            fflush(nil)
        } else if proxy.exit == nil {
            print("mcpwatch demo: the HTTP API did not come up on \(address) (is the port taken? try --listen 127.0.0.1:0); the demo runs on")
            fflush(nil)
        }

        let (exit, stopped, summary) = await withTaskGroup(of: End.self) { group -> (ChildExit, Bool, (sent: Int, answered: Int)) in
            // The proxy's exit, awaited on a thread of its own (waitpid blocks); it comes in every case, since the
            // demo closes the proxy's input below.
            group.addTask {
                await withCheckedContinuation { continuation in
                    startRelayThread(name: "mcpwatch demo wait") { continuation.resume(returning: .proxyExited(proxy.waitForExit())) }
                }
            }
            group.addTask {
                do { try await gracefulShutdown() } catch { return .cancelled }
                return .stopped
            }
            if let duration {
                group.addTask {
                    do { try await Task.sleep(for: duration) } catch { return .cancelled }
                    return .timeUp
                }
            }
            var stopped = false
            var exit: ChildExit?
            var summary: (sent: Int, answered: Int)?
            while let end = await group.next() {
                switch end {
                case .proxyExited(let code): exit = code
                case .stopped: stopped = true
                case .timeUp, .cancelled: break
                }
                if summary == nil {
                    // Stop the clock and the shutdown wait, then the traffic; the proxy's exit is still to come.
                    group.cancelAll()
                    summary = traffic.finish(closing: proxy)
                }
                if exit != nil { break }
            }
            return (exit ?? .exited(255), stopped, summary ?? (0, 0))
        }
        print("mcpwatch demo: \(summary.sent) calls sent, \(summary.answered) answered; proxy \(exit)")
        result.withLock { $0 = (exit, stopped) }
    }
}

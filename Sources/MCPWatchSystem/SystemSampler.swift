import Foundation
import MCPWatchCore
import ServiceLifecycle

/// The process and host sampler as a service: samples at once (so `/api/system` answers from the start), then every
/// interval, and as soon as a server process appears or changes, so that its figures do not wait a whole interval.
/// Stops at graceful shutdown.
public struct SystemSampler: Service {
    /// Where the samples go.
    public let monitor: SystemMonitor
    /// Where the server's process id comes from (set by the relay once it has started the server).
    public let store: MetricsStore
    /// Every process mcpwatch started is the server (the bridge, one process per session), not one process tree.
    public let serverIsEveryChild: Bool
    /// How often to look for a new server process between samples.
    public let pidCheckInterval: Duration

    /// Creates a sampler.
    public init(monitor: SystemMonitor, store: MetricsStore, serverIsEveryChild: Bool = false,
                pidCheckInterval: Duration = .milliseconds(50)) {
        self.monitor = monitor
        self.store = store
        self.serverIsEveryChild = serverIsEveryChild
        self.pidCheckInterval = pidCheckInterval
    }

    /// Samples until graceful shutdown or cancellation.
    public func run() async throws {
        let (monitor, store, everyChild, check) = (monitor, store, serverIsEveryChild, pidCheckInterval)
        await cancelWhenGracefulShutdown {
            let interval = monitor.interval
            while !Task.isCancelled {
                let pid = store.session.serverPid
                monitor.monitorServer(pid: pid, everyChild: everyChild)
                monitor.sample()
                let deadline = ContinuousClock.now + interval
                while ContinuousClock.now < deadline && !Task.isCancelled && store.session.serverPid == pid {
                    try? await Task.sleep(for: min(check, interval))
                }
            }
        }
    }
}

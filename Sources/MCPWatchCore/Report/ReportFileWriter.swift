import Foundation

/// Writes the JSON report to a file, atomically: every interval while mcpwatch runs, and once more at the end.
///
/// Plain `async` code with no lifecycle library: the service that runs it beside a relay (``run(every:)`` until the
/// relay has drained, then ``writeNow()`` for the last report) lives where swift-service-lifecycle is imported
/// (`MCPWatchSystem.ReportFileService`).
public struct ReportFileWriter: Sendable {
    /// The file written.
    public let path: String
    /// Where the figures come from.
    public let store: MetricsStore
    /// The `--name` of the monitored server, if given.
    public let serverName: String?
    /// What traffic control did, when it is configured: the report's `traffic`.
    public var traffic: TrafficStats?
    /// Told about a write that failed (a full disk, a vanished folder); the next write tries again.
    public let onFailure: @Sendable (_ path: String, _ error: any Error) -> Void

    /// Creates a writer.
    public init(path: String, store: MetricsStore, serverName: String?,
                onFailure: @escaping @Sendable (_ path: String, _ error: any Error) -> Void = { _, _ in }) {
        self.path = path
        self.store = store
        self.serverName = serverName
        self.onFailure = onFailure
    }

    /// Writes the report as it is now. A failure is passed to ``onFailure`` and never thrown: it must not stop the relay.
    public func writeNow() {
        do {
            var report = store.report(serverName: serverName)
            report.traffic = traffic?.report(serverLatency: store)
            let data = try Report.encoder(pretty: true).encode(report)
            try AtomicFile.write(data, to: path)
        } catch {
            onFailure(path, error)
        }
    }

    /// Writes at once, then every `interval`, until the task is cancelled (it does not write on the way out).
    public func run(every interval: Duration) async {
        while !Task.isCancelled {
            writeNow()
            try? await Task.sleep(for: interval)
        }
    }
}

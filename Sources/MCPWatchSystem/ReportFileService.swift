import MCPWatchCore
import ServiceLifecycle

/// Core's ``ReportFileWriter`` as a service: writes every interval, and at graceful shutdown writes the last report
/// and returns. In a ``ShutdownOrder`` it stops after the relay, so the last report holds the relay's final calls
/// (the pending ones answered as lost), and before the HTTP side.
public struct ReportFileService: Service {
    /// What writes the file.
    public let writer: ReportFileWriter
    /// Time between writes.
    public let interval: Duration

    /// Creates the service.
    public init(writer: ReportFileWriter, interval: Duration) {
        self.writer = writer
        self.interval = interval
    }

    /// Writes periodically until graceful shutdown (or cancellation), then once more.
    public func run() async throws {
        let (writer, interval) = (writer, interval)
        await cancelWhenGracefulShutdown { await writer.run(every: interval) }
        writer.writeNow()
    }
}

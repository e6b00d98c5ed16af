import Foundation
import Logging
import MCPWatchCore
@testable import MCPWatchStore

/// A store in a fresh temporary folder, a metrics store on a manual clock, and a writer between them.
struct StoreFixture {
    let folder: String
    let path: String
    let clock: ManualClock
    let metrics: MetricsStore
    let writer: StoreWriter

    init(name: String? = "test-server", path: String? = nil, settings: StoreSettings = StoreSettings(), command: String? = "test-server --stdio") {
        folder = NSTemporaryDirectory() + "mcpwatch-store-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        self.path = path ?? folder + "/mcpwatch.db"
        clock = ManualClock()
        metrics = MetricsStore(clock: clock)
        var settings = settings
        settings.path = self.path
        let clock = clock
        writer = StoreWriter(settings: settings, identity: StoreIdentity(configuredName: name, command: command, mode: "stdio", transport: "pipe"),
                             sources: .init(metrics: metrics), logger: Logger(label: "test"), now: { clock.wallNow() })
        metrics.callLog.enable()
    }

    /// Records one finished call `micros` long, now.
    func record(_ target: String, micros: UInt64, outcome: CallOutcome = .ok, errorCode: Int? = nil, method: String = "tools/call") {
        metrics.record(CompletedCall(method: method, target: target, id: RequestID(1), outcome: outcome, durationNanos: micros * 1_000,
                                     finishedAt: clock.now(), requestBytes: 100, responseBytes: 200, errorCode: errorCode,
                                     errorMessage: outcome == .ok ? nil : "it failed"))
    }

    func reader() throws -> StoreReader { try StoreReader(path: path) }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }
}

import Logging
import MCPWatchCore

/// Writes every alert transition to mcpwatch's log: firing critical as errors, warnings as warnings, the rest as
/// notices. Always on.
public struct LogNotifier: AlertNotifier {
    public let name = "log"
    /// Every transition, pending and cancelled ones included.
    public let kinds: Set<AlertEvent.Kind> = [.pending, .firing, .escalated, .deescalated, .resolved, .cancelled]
    let logger: Logger

    /// Creates the notifier.
    public init(logger: Logger) { self.logger = logger }

    public func notify(_ event: AlertEvent) async throws {
        let level: Logger.Level = switch event.kind {
        case .firing, .escalated: event.severity == .critical ? .error : .warning
        case .deescalated: .warning
        case .pending, .resolved, .cancelled: .notice
        }
        logger.log(level: level, "alert \(event.kind.rawValue): \(event.summary)", metadata: [
            "alert": "\(event.alertId)", "rule": "\(event.rule)", "severity": "\(event.severity?.rawValue ?? "-")",
            "value": "\(event.value.map { event.metric.format($0) } ?? "-")",
        ])
    }
}

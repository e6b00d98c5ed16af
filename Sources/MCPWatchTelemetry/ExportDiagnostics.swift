import Logging
import MCPWatchCore
import Synchronization

/// swift-otel's diagnostic logger, seen by mcpwatch: the spans its batch queue drops (the collector down, slow or
/// refusing) are added to the tap's drop count, shown in `/metrics`; each kind of export trouble is logged once as a
/// warning, then at debug level, so that a collector down for an hour does not fill the log.
struct ExportDiagnostics: LogHandler {
    var base: Logger
    let tap: TraceContextTap
    let said: SaidOnce
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .warning

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let more = event.metadata { all.merge(more) { $1 } }
        if let error = event.error { all["error"] = "\(error)" }
        let kind = event.message.description
        // The batch queue was full, or a batch could not be sent (refused, timed out, an error answer): its spans are lost.
        if let dropped = Self.count(all["dropped_count"]) {
            tap.countDropped(dropped)
        } else if kind.hasPrefix("Failed to export batch"), let lost = Self.count(all["batch_size"]) {
            tap.countDropped(lost)
        }
        let level: Logger.Level = event.level >= .warning && said.first(kind) ? .warning : .debug
        base.log(level: level, "OTLP export: \(event.message)", metadata: all, source: "mcpwatch.otel")
    }
}

extension ExportDiagnostics {
    static func count(_ value: Logger.Metadata.Value?) -> Int? {
        switch value {
        case .string(let text)?: Int(text)
        case .stringConvertible(let convertible)?: Int(convertible.description)
        default: nil
        }
    }
}

/// Remembers which messages were logged already.
final class SaidOnce: Sendable {
    private let seen = Mutex<Set<String>>([])
    func first(_ message: String) -> Bool { seen.withLock { $0.insert(message).inserted } }
}

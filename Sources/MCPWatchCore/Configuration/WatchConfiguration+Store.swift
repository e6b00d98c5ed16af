import Foundation

/// The local store's settings (`store.*`): where it is, how often it is written, how long each resolution is kept.
public struct StoreSettings: Sendable, Equatable {
    /// What of a call's arguments and result the call log keeps.
    public enum Capture: String, Sendable, CaseIterable {
        /// Neither (the default): arguments and results may hold secrets.
        case none
        /// The request's `params`, truncated to ``StoreSettings/captureBytes``.
        case arguments
        /// The request's `params` and the answer's `result` or `error`, each truncated.
        case full
    }

    /// Whether anything is stored (`--no-store` turns it off).
    public var enabled = true
    /// The database file; nil for the default (``defaultPath(environment:)``).
    public var path: String?
    /// Time between two writes.
    public var flushInterval: Duration = .seconds(1)
    /// How long per-second figures are kept.
    public var secondsRetention: Duration = .seconds(3_600)
    /// How long per-minute figures (and the call log, and process samples) are kept.
    public var minutesRetention: Duration = .seconds(7 * 86_400)
    /// How long per-hour figures are kept.
    public var hoursRetention: Duration = .seconds(400 * 86_400)
    /// Past this size the finest, oldest data goes first.
    public var maxSize = 1 << 30
    /// What of arguments and results the call log keeps.
    public var capture: Capture = .none
    /// Longest captured text, in bytes.
    public var captureBytes = 4_096

    /// The defaults.
    public init() {}

    /// `$XDG_STATE_HOME/mcpwatch/mcpwatch.db`, or `~/.local/state/mcpwatch/mcpwatch.db` when it is unset or not absolute.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/mcpwatch/mcpwatch.db" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.local/state/mcpwatch/mcpwatch.db"
    }

    /// The file in force.
    public var resolvedPath: String { path ?? Self.defaultPath() }

    /// A duration as ``Duration/parse(_:)`` reads it, or a whole number of days (`7d`, `30d`, `400d`): the store's
    /// retentions and ranges are days long.
    public static func parseDuration(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased().hasSuffix("d"), let days = Int(trimmed.dropLast()), (0...36_500).contains(days) {
            return .seconds(days * 86_400)
        }
        return try? Duration.parse(trimmed)
    }

    /// A duration as people write the store's: whole days as `7d`, others as ``Duration/unitsDescription``.
    public static func format(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        if duration.components.attoseconds == 0, seconds >= 86_400, seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        return duration.unitsDescription
    }
}

extension ConfigSchema {
    /// The `store.*` keys, listed after the others in ``settings``.
    static let storeSettings: [Setting] = [
        boolean("store.enabled", "keep what is measured in the local SQLite store (history across runs, the call log, servers and instances); --no-store turns it off") { $0.store.enabled = $1 } render: { $0.store.enabled },
        string("store.path", "the store's file (default $XDG_STATE_HOME/mcpwatch/mcpwatch.db, else ~/.local/state/mcpwatch/mcpwatch.db); --store PATH") { $0.store.path = $1 } render: { $0.store.path },
        duration("store.flush_interval", "time between two writes to the store (what a SIGKILL can lose at most)") { $0.store.flushInterval = $1 } render: { $0.store.flushInterval },
        scalar("store.retention_seconds", "how long per-second figures are kept (e.g. 1h, 7d)", StoreSettings.parseDuration, "a duration such as 30m, 1h or 7d") { $0.store.secondsRetention = $1 } render: { StoreSettings.format($0.store.secondsRetention) },
        scalar("store.retention_minutes", "how long per-minute figures, the call log and process samples are kept (e.g. 1h, 7d)", StoreSettings.parseDuration, "a duration such as 30m, 1h or 7d") { $0.store.minutesRetention = $1 } render: { StoreSettings.format($0.store.minutesRetention) },
        scalar("store.retention_hours", "how long per-hour figures are kept (e.g. 1h, 7d)", StoreSettings.parseDuration, "a duration such as 30m, 1h or 7d") { $0.store.hoursRetention = $1 } render: { StoreSettings.format($0.store.hoursRetention) },
        scalar("store.max_size", "largest size of the store (e.g. 1GiB); past it the finest, oldest figures are dropped first", ConfigValueParsing.byteSize, "a size such as 512MiB or 1GiB") { $0.store.maxSize = $1 } render: { ByteSize(bytes: $0.store.maxSize).description },
        scalar("store.capture", "what the call log keeps of arguments and results: none, arguments, or full (arguments and results), each truncated to store.capture_bytes", { StoreSettings.Capture(rawValue: $0) }, "none, arguments or full") { $0.store.capture = $1 } render: { $0.store.capture.rawValue },
        scalar("store.capture_bytes", "longest captured argument or result text kept in the call log", ConfigValueParsing.byteSize, "a size such as 4096 or 4KiB") { $0.store.captureBytes = $1 } render: { "\($0.store.captureBytes)" },
    ]
}

import Foundation

/// One running mcpwatch in the fleet, as it describes itself in the registry (`run/<pid>.json` beside its socket).
///
/// The name is data: it comes from `--name` or the server's `serverInfo`, so it may hold any character. Files are
/// named by pid, never by name.
public struct FleetInstance: Codable, Sendable, Equatable {
    /// The mcpwatch process.
    public var pid: Int32
    /// When it started.
    public var startedAt: Date
    /// The server's name: `--name`, else its `serverInfo.name`, else its command (``FleetInstance/fallbackName(command:)``).
    public var name: String
    /// The server command (or the upstream URL, for the HTTP modes).
    public var command: [String]
    /// `stdio`, `reverse-proxy`, `stdio-front` or `bridge`.
    public var mode: String
    /// The Unix socket it serves its monitoring API on.
    public var socket: String

    /// Creates a description.
    public init(pid: Int32, startedAt: Date, name: String, command: [String], mode: String, socket: String) {
        self.pid = pid
        self.startedAt = startedAt
        self.name = name
        self.command = command
        self.mode = mode
        self.socket = socket
    }
}

extension FleetInstance {
    /// The name of a server that gave none (no `--name`, no `serverInfo` yet): its command, the program's file name
    /// first (`python3 server.py`), or `mcpwatch` for no command at all.
    public static func fallbackName(command: [String]) -> String {
        guard let first = command.first else { return "mcpwatch" }
        let program = first.contains("://") ? first : (first as NSString).lastPathComponent
        return ([program] + command.dropFirst()).joined(separator: " ")
    }

    /// The instance that answers for server `name`: this process when it is one of them, else the newest running one.
    /// - Parameters:
    ///   - instances: the running instances (``FleetRegistry/scan(isAlive:)``).
    ///   - own: this process's pid, preferred so that a request about itself is answered without a hop.
    public static func answering(_ name: String, in instances: [FleetInstance], own: Int32?) -> FleetInstance? {
        let named = instances.filter { $0.name == name }
        if let own, let mine = named.first(where: { $0.pid == own }) { return mine }
        return named.max { ($0.startedAt, $0.pid) < ($1.startedAt, $1.pid) }
    }
}

import Foundation
import MCPWatchCore

/// The JSON body that webhooks receive and commands read on stdin (docs/alerts.md documents it).
public struct AlertPayload: Codable, Sendable, Equatable {
    /// The body's version: 1.
    public var version = 1
    /// Always `mcpwatch`.
    public var source = "mcpwatch"
    /// The monitored server's name, when known.
    public var server: String?
    /// The machine mcpwatch runs on.
    public var host: String
    /// The transition.
    public var event: AlertEvent

    /// Creates a body.
    public init(server: String?, host: String = ProcessInfo.processInfo.hostName, event: AlertEvent) {
        self.server = server
        self.host = host
        self.event = event
    }

    /// The body as compact JSON with snake_case keys and RFC 3339 times, as everywhere in mcpwatch.
    public func encoded() throws -> Data { try Report.encoder().encode(self) }
}

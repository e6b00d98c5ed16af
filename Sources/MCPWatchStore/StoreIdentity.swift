/// Who this process measures, for the store's servers and instances tables.
///
/// A server is named by `--name`, else by its `serverInfo` name once the server has said it, else by its command (or
/// upstream URL); each run of a proxy is an instance of it.
public struct StoreIdentity: Sendable, Equatable {
    /// `--name` (or `server.name`), when given.
    public var configuredName: String?
    /// The server's command line, or the upstream URL.
    public var command: String?
    /// The proxy mode: `stdio`, `reverse-proxy`, `stdio-front`, `bridge`, `demo`.
    public var mode: String
    /// `pipe` or `tcp`.
    public var transport: String

    /// Creates an identity.
    public init(configuredName: String?, command: String?, mode: String, transport: String) {
        self.configuredName = configuredName
        self.command = command
        self.mode = mode
        self.transport = transport
    }

    /// The name and what gave it (`name`, `serverInfo`, `command`), given what the server said of itself.
    public func name(serverInfo: String?) -> (name: String, namedBy: String) {
        if let configuredName, !configuredName.isEmpty { return (configuredName, "name") }
        if let serverInfo, !serverInfo.isEmpty { return (serverInfo, "serverInfo") }
        if let command, !command.isEmpty { return (String(command.prefix(200)), "command") }
        return ("unknown", "command")
    }
}

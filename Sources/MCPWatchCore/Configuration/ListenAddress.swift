

/// A `HOST:PORT` to listen on: `127.0.0.1:9470`, `[::1]:9470`, `localhost:0`, `:9470` (loopback), `9470`.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// The host.
    public var host: String
    /// The port.
    public var port: Int

    /// Creates an address.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`.
    /// - Throws: ``WatchError`` naming what is wrong.
    public init(parsing text: String) throws {
        var host = "127.0.0.1"
        var portText = text
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw WatchError(.invalidArgument, "'\(text)': missing ']' in an IPv6 address") }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw WatchError(.invalidArgument, "'\(text)': expected [HOST]:PORT") }
            portText = String(rest.dropFirst())
        } else if let colon = text.lastIndex(of: ":") {
            let h = String(text[..<colon])
            if !h.isEmpty { host = h }
            portText = String(text[text.index(after: colon)...])
        }
        guard let port = Int(portText), (0...65_535).contains(port) else {
            throw WatchError(.invalidArgument, "'\(text)': the port must be a number from 0 to 65535")
        }
        self.host = host
        self.port = port
    }

    /// Whether only this machine can reach it.
    public var isLoopback: Bool {
        HostPolicy.isLoopback(host.lowercased())
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

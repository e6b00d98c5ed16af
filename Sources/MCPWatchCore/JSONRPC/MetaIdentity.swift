import Foundation

/// Reads who is talking out of MCP 2026-07-28 messages, which have no `initialize`: each request names its protocol
/// version and client in `params._meta`, each result may name its server in `result._meta`, and `server/discover`
/// answers with the versions the server supports.
///
/// Only the `_meta` object is decoded (found with ``JSONValueLocator``, the rest of the message skipped), and the
/// recorder asks only until it knows the client, the server and the version, and on `server/discover`.
public enum MetaIdentity {
    /// `_meta` key of the protocol version a request speaks.
    public static let protocolVersionKey = "io.modelcontextprotocol/protocolVersion"
    /// `_meta` key of the client's name and version.
    public static let clientInfoKey = "io.modelcontextprotocol/clientInfo"
    /// `_meta` key of the server's name and version.
    public static let serverInfoKey = "io.modelcontextprotocol/serverInfo"

    /// What a request's `params._meta` says.
    public struct Request: Equatable, Sendable {
        /// The client, from `clientInfo`.
        public var client: PeerInfo?
        /// The protocol version the request speaks.
        public var protocolVersion: String?
    }

    /// What a result says of its server.
    public struct Result: Equatable, Sendable {
        /// The server, from `result._meta`'s `serverInfo`.
        public var server: PeerInfo?
        /// `result.supportedVersions`, in a `server/discover` result.
        public var supportedVersions: [String]?
    }

    /// Parses a request's `params._meta`; missing fields stay nil.
    public static func parseRequest(_ frame: UnsafeRawBufferPointer) -> Request {
        guard let meta = object(at: ["params", "_meta"], in: frame) else { return Request() }
        return Request(client: InitializeMessage.peer(meta[clientInfoKey]), protocolVersion: clipped(meta[protocolVersionKey] as? String))
    }

    /// Parses a result's `_meta` (and `supportedVersions`, when `discover`); missing fields stay nil.
    public static func parseResult(_ frame: UnsafeRawBufferPointer, discover: Bool) -> Result {
        let meta = object(at: ["result", "_meta"], in: frame)
        var result = Result(server: InitializeMessage.peer(meta?[serverInfoKey]))
        if discover, let range = JSONValueLocator.range(of: [Array("result".utf8), Array("supportedVersions".utf8)], in: frame),
           range.count < 64 << 10,
           let versions = (try? JSONSerialization.jsonObject(with: Data(frame[range]), options: [.fragmentsAllowed])) as? [Any] {
            result.supportedVersions = versions.prefix(32).compactMap { clipped($0 as? String) }
        }
        return result
    }

    private static func object(at path: [String], in frame: UnsafeRawBufferPointer) -> [String: Any]? {
        guard let range = JSONValueLocator.range(of: path.map { Array($0.utf8) }, in: frame), range.count < 64 << 10 else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(frame[range]))) as? [String: Any]
    }

    private static func clipped(_ text: String?) -> String? { text.map { String($0.prefix(MessageInspector.maxTextBytes)) } }
}

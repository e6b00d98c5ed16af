import Foundation

/// Reads the session facts out of `initialize` messages: small, once per session, so a full decode is fine here.
public enum InitializeMessage {
    /// What the client's `initialize` request says.
    public struct Request: Equatable, Sendable {
        /// `params.clientInfo`.
        public var client: PeerInfo?
        /// `params.protocolVersion`.
        public var protocolVersion: String?
    }

    /// What the server's `initialize` result says.
    public struct Result: Equatable, Sendable {
        /// `result.serverInfo`.
        public var server: PeerInfo?
        /// `result.protocolVersion`.
        public var protocolVersion: String?
    }

    /// Parses an `initialize` request; missing fields stay nil.
    public static func parseRequest(_ frame: UnsafeRawBufferPointer) -> Request {
        let params = object(frame)?["params"] as? [String: Any]
        return Request(client: peer(params?["clientInfo"]), protocolVersion: params?["protocolVersion"] as? String)
    }

    /// Parses an `initialize` response; missing fields stay nil.
    public static func parseResult(_ frame: UnsafeRawBufferPointer) -> Result {
        let result = object(frame)?["result"] as? [String: Any]
        return Result(server: peer(result?["serverInfo"]), protocolVersion: result?["protocolVersion"] as? String)
    }

    private static func object(_ frame: UnsafeRawBufferPointer) -> [String: Any]? {
        guard frame.count < 1 << 20 else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(frame))) as? [String: Any]
    }

    /// A `{name, version, title}` object as a peer, clipped to ``MessageInspector/maxTextBytes``; nil without a name.
    static func peer(_ value: Any?) -> PeerInfo? {
        guard let info = value as? [String: Any], let name = info["name"] as? String else { return nil }
        func clip(_ s: String?) -> String? { s.map { String($0.prefix(MessageInspector.maxTextBytes)) } }
        return PeerInfo(name: String(name.prefix(MessageInspector.maxTextBytes)), version: clip(info["version"] as? String), title: clip(info["title"] as? String))
    }
}

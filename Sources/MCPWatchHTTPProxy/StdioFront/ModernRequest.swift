import Foundation
import MCPWatchCore

/// A 2026-07-28 request read from a stdio line, and the headers a Streamable HTTP client must send with it.
///
/// Revision 2026-07-28 has no `initialize` and no `Mcp-Session-Id`: each POST carries `MCP-Protocol-Version` (the
/// version in the body's `params._meta`), `Mcp-Method` (the body's method) and, for `tools/call`, `prompts/get` and
/// `resources/read`, `Mcp-Name` (`params.name` or `params.uri`), which the server checks against the body
/// (`HeaderMismatch`, -32020, when they disagree). A request is modern when it is `server/discover` or its `_meta`
/// names a version of 2026-07-28 or later; everything else is the older era and keeps its session.
public struct ModernRequest: Sendable, Equatable {
    /// The first revision without sessions.
    public static let firstModernVersion = "2026-07-28"
    /// The version `server/discover` is sent at when its `_meta` names none (the SDKs always name one).
    public static let latestVersion = "2026-07-28"

    /// The methods whose `Mcp-Name` header mirrors a parameter, and which one (as the specification lists them).
    public static let nameParameters = ["tools/call": "name", "prompts/get": "name", "resources/read": "uri"]

    /// The JSON-RPC method.
    public var method: String
    /// The protocol version the request speaks (its `_meta`'s).
    public var protocolVersion: String
    /// `params.name` or `params.uri`, for the methods that mirror one into `Mcp-Name`.
    public var name: String?

    /// Creates a request description.
    public init(method: String, protocolVersion: String, name: String? = nil) {
        self.method = method
        self.protocolVersion = protocolVersion
        self.name = name
    }

    /// Reads a line (with or without its newline); nil when it is not a single 2026-07-28 request (a notification,
    /// a response, a batch, or a request of the older era).
    public init?(line: [UInt8]) {
        let parsed: ModernRequest? = line.withUnsafeBytes { raw in
            let frame = TrafficRecorder.trimmingLineEnd(raw)
            guard let fields = JSONValueLocator.idAndMethod(in: frame), fields.id != nil, let methodRange = fields.method,
                  let method = Self.string(frame[methodRange]) else { return nil }
            let version = MetaIdentity.parseRequest(frame).protocolVersion
            guard method == "server/discover" || version.map(Self.isModern) == true else { return nil }
            var name: String?
            if let key = Self.nameParameters[method],
               let range = JSONValueLocator.range(of: [Array("params".utf8), Array(key.utf8)], in: frame) {
                name = Self.string(frame[range])
            }
            return ModernRequest(method: method, protocolVersion: version ?? Self.latestVersion, name: name)
        }
        guard let parsed else { return nil }
        self = parsed
    }

    /// Whether a protocol version is of the stateless era (2026-07-28 or later; versions are dates).
    public static func isModern(_ version: String) -> Bool {
        version.count == 10 && version >= firstModernVersion
    }

    /// The request's own headers, in sending order (besides `Accept` and `Content-Type`).
    public var headers: [(String, String)] {
        var out = [("MCP-Protocol-Version", protocolVersion), ("Mcp-Method", Self.headerValue(method))]
        if let name { out.append(("Mcp-Name", Self.headerValue(name))) }
        return out
    }

    /// A value as a header carries it: as it is when it is printable ASCII without leading or trailing whitespace
    /// (and does not look like the sentinel), else `=?base64?…?=` of its UTF-8 bytes.
    public static func headerValue(_ value: String) -> String {
        let printable = value.utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E }
        let trimmed = value.first.map { $0 != " " } ?? true && value.last.map { $0 != " " } ?? true
        let sentinel = value.hasPrefix("=?base64?") && value.hasSuffix("?=")
        if printable && trimmed && !sentinel { return value }
        return "=?base64?\(Data(value.utf8).base64EncodedString())?="
    }

    /// A JSON string's value (nil when the text is not a string).
    static func string(_ text: Slice<UnsafeRawBufferPointer>) -> String? {
        guard text.first == UInt8(ascii: "\"") else { return nil }
        if !text.contains(UInt8(ascii: "\\")) { return String(decoding: text.dropFirst().dropLast(), as: UTF8.self) }
        return (try? JSONSerialization.jsonObject(with: Data(text), options: [.fragmentsAllowed])) as? String
    }
}

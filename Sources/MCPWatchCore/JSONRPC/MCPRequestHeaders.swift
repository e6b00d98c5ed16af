import Foundation

/// Compares the `Mcp-Method` and `Mcp-Name` headers of a 2026-07-28 Streamable HTTP POST with its body.
///
/// Pure: the transport passes the header values and what the inspector read of the body. A mismatch is relayed
/// unchanged (the server decides: it must answer `-32020` `HeaderMismatch`) and counted as an anomaly; measurement
/// keeps reading the body.
public enum MCPRequestHeaders {
    /// The header that names the method.
    public static let methodHeader = "Mcp-Method"
    /// The header that names the tool, prompt or resource.
    public static let nameHeader = "Mcp-Name"

    /// What is wrong with the headers, or nil when they agree with the body (or say nothing, as clients of older
    /// revisions send).
    /// - Parameters:
    ///   - method: the `Mcp-Method` header.
    ///   - name: the `Mcp-Name` header, as sent (a `=?base64?...?=` value is decoded first).
    ///   - protocolVersion: the `MCP-Protocol-Version` header: from 2026-07-28 on the headers are required.
    ///   - body: the body's single message (a batch is not checked).
    public static func mismatch(method: String?, name: String?, protocolVersion: String?, body: PostedMessage) -> AnomalyKind? {
        guard let bodyMethod = body.method else { return nil }
        if let method, method != bodyMethod { return .headerMethodMismatch }
        let required = JSONRPCErrorName.isModern(protocolVersion) && !body.requestIDs.isEmpty
        if method == nil, required { return .headerMissing }
        guard let bodyName = body.target else { return nil }
        guard let name else { return required ? .headerMissing : nil }
        guard let decoded = decodedName(name), matches(header: decoded, body: bodyName) else { return .headerNameMismatch }
        return nil
    }

    /// A header value with the Base64 sentinel (`=?base64?...?=`) decoded; others as they are; nil for a sentinel
    /// that is not valid Base64 of UTF-8.
    public static func decodedName(_ value: String) -> String? {
        guard value.hasPrefix("=?base64?"), value.hasSuffix("?="), value.count >= 11 else { return value }
        let encoded = value.dropFirst(9).dropLast(2)
        guard let data = Data(base64Encoded: String(encoded)) else { return nil }
        return String(data: data, encoding: .utf8)
    }

    /// The inspector keeps at most ``MessageInspector/maxTextBytes`` of a name: a longer one is compared on that.
    private static func matches(header: String, body: String) -> Bool {
        if header == body { return true }
        return body.utf8.count >= MessageInspector.maxTextBytes - 4 && header.hasPrefix(body)
    }
}

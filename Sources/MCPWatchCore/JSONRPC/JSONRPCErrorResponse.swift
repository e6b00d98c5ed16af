/// Builds JSON-RPC error responses that mcpwatch itself sends.
public enum JSONRPCErrorResponse {
    /// `{"jsonrpc":"2.0","id":ID,"error":{"code":CODE,"message":"..."}}` followed by a newline.
    public static func line(id: RequestID, code: Int, message: String) -> [UInt8] {
        var out = "{\"jsonrpc\":\"2.0\",\"id\":\(id.json),\"error\":{\"code\":\(code),\"message\":"
        out += jsonString(message)
        out += "}}\n"
        return Array(out.utf8)
    }

    /// A string as a JSON string literal.
    public static func jsonString(_ text: String) -> String { JSONStringLiteral.quoted(text) }
}

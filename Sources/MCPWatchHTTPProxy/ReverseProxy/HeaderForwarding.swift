/// Which headers a reverse proxy passes on: everything but the hop-by-hop ones (RFC 9110 section 7.6.1) and those
/// that describe the framing of one connection, which each side sets for its own.
///
/// So `Mcp-Session-Id`, `MCP-Protocol-Version`, `Last-Event-ID`, `Authorization`, `Accept`, `Content-Type`,
/// `WWW-Authenticate`, cookies and unknown headers all pass unchanged, both ways.
public enum HeaderForwarding {
    /// Names (lowercase) never passed on, either way.
    public static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade", "host", "content-length",
    ]

    /// Whether a header the client sent goes on to the upstream.
    /// - Parameter connectionTokens: the names listed in the request's own `Connection` header (also hop-by-hop).
    public static func forwardsRequestHeader(_ name: String, connectionTokens: Set<String> = []) -> Bool {
        let lower = name.lowercased()
        return !hopByHop.contains(lower) && !connectionTokens.contains(lower)
    }

    /// Whether a header the upstream answered with goes back to the client.
    public static func forwardsResponseHeader(_ name: String, connectionTokens: Set<String> = []) -> Bool {
        let lower = name.lowercased()
        // The served side sets its own `Date` and `Server`; two of each would be wrong.
        return !hopByHop.contains(lower) && !connectionTokens.contains(lower) && lower != "date" && lower != "server"
    }

    /// The header names a `Connection` header's values list (`Connection: keep-alive, X-Foo`).
    public static func connectionTokens(_ values: [String]) -> Set<String> {
        var out: Set<String> = []
        for value in values {
            for part in value.split(separator: ",") {
                let token = part.trimmingCharacters(in: .whitespaces).lowercased()
                if !token.isEmpty { out.insert(token) }
            }
        }
        return out
    }
}

import Foundation

import Foundation

/// Which browser origins may use the served endpoint: the spec's protection against DNS rebinding.
///
/// A request without an `Origin` header (any non-browser client) passes. One with an `Origin` passes when its
/// host is a loopback name (`localhost`, `127.x.x.x`, `::1`), the host mcpwatch serves on, or when the whole
/// origin (`https://app.example.com`) is listed; `*` in the list allows every origin.
public struct OriginPolicy: Sendable, Equatable {
    /// The host mcpwatch serves on (`--serve-http`'s host).
    public var servedHost: String
    /// Origins allowed besides the loopback ones, exactly as browsers send them (`scheme://host[:port]`).
    public var allowedOrigins: [String]

    /// Creates a policy.
    public init(servedHost: String, allowedOrigins: [String] = []) {
        self.servedHost = servedHost.lowercased()
        self.allowedOrigins = allowedOrigins.map { Self.normalised($0) }
    }

    /// Whether a request with this `Origin` header (nil: none) may pass.
    public func allows(origin: String?) -> Bool {
        guard let origin else { return true }
        let text = Self.normalised(origin)
        if allowedOrigins.contains("*") || allowedOrigins.contains(text) { return true }
        guard let host = Self.host(ofOrigin: text) else { return false }
        // A real loopback address, not any name that starts with `127.` (`http://127.0.0.1.evil.example`).
        if HostPolicy.isLoopback(host) { return true }
        // 0.0.0.0 and :: mean every interface: they are no origin a page could be served from.
        return host == servedHost && servedHost != "0.0.0.0" && servedHost != "::"
    }

    /// The host of `scheme://host[:port]` (brackets removed from an IPv6 address), or nil when it is not an origin
    /// (`null`, garbage).
    static func host(ofOrigin origin: String) -> String? {
        guard let schemeEnd = origin.range(of: "://") else { return nil }
        var rest = origin[schemeEnd.upperBound...]
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            return String(rest[rest.index(after: rest.startIndex)..<close])
        }
        if let colon = rest.lastIndex(of: ":") { rest = rest[..<colon] }
        return rest.isEmpty ? nil : String(rest)
    }

    static func normalised(_ origin: String) -> String {
        var text = origin.trimmingCharacters(in: .whitespaces).lowercased()
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }
}

import Foundation

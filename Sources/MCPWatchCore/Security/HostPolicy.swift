import Foundation

/// Which `Host` headers a served port answers: mcpwatch's protection against DNS rebinding.
///
/// A page on `http://attacker.example` whose name the attacker re-points at 127.0.0.1 reaches mcpwatch with
/// `Host: attacker.example:9470`; a browser never lets the page change that header. So a port bound to loopback
/// answers only loopback names (`localhost`, `127.x.x.x`, `::1`, with or without a port) and the names the user
/// allowed (`http.allowed_hosts`). A port bound to another address also answers that address and, when bound to
/// every interface (`0.0.0.0`, `::`), any IP address (an address cannot be rebound; only a name can) and the
/// machine's own names. A request with no `Host` at all (HTTP/1.0 tools) passes: browsers always send one.
public struct HostPolicy: Sendable, Equatable {
    /// The address the port is bound to (`127.0.0.1`, `0.0.0.0`, `::1`, a name).
    public var boundHost: String
    /// Names allowed besides the loopback ones: `name` (any port) or `name:port`; `*` allows every name.
    public var allowedHosts: [String]
    /// The machine's own names, allowed when bound to every interface.
    public var machineNames: [String]

    /// Creates a policy.
    public init(boundHost: String, allowedHosts: [String] = [], machineNames: [String] = []) {
        self.boundHost = Self.normalisedHost(boundHost)
        self.allowedHosts = allowedHosts.map { $0.trimmingSpaces().lowercased() }.filter { !$0.isEmpty }
        self.machineNames = machineNames.map { Self.normalisedHost($0) }.filter { !$0.isEmpty }
    }

    /// The configuration key that allows more names, named in refusals.
    public static let settingKey = "http.allowed_hosts"

    /// Whether a request with this `Host` header (nil: none) may be answered.
    public func allows(host header: String?) -> Bool {
        guard let header else { return true }
        let text = header.trimmingSpaces().lowercased()
        guard let (host, port) = Self.split(text) else { return false }
        if Self.isLoopback(host) { return true }
        if allowedHosts.contains("*") { return true }
        for allowed in allowedHosts {
            if let (allowedHost, allowedPort) = Self.split(allowed) {
                if allowedHost == host && (allowedPort == nil || allowedPort == port) { return true }
            }
        }
        if Self.isLoopback(boundHost) { return false }
        if host == boundHost { return true }
        if Self.isWildcard(boundHost) {
            return Self.isIPAddress(host) || machineNames.contains(host)
        }
        return false
    }

    /// Why a `Host` was refused, in words a user can act on.
    public func refusal(host header: String) -> String {
        let name = Self.split(header.trimmingSpaces().lowercased())?.host ?? header
        return "Forbidden: this mcpwatch does not answer to the name '\(header)' (Host header; DNS rebinding protection). "
            + "To serve it under that name, allow it with --allow-host \(name) or the setting \(Self.settingKey)"
    }

    /// Whether a host (no port, no brackets) names this machine's loopback interface.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        guard isIPv4(host) else { return false }
        return host.hasPrefix("127.")
    }

    static func isWildcard(_ host: String) -> Bool { host == "0.0.0.0" || host == "::" || host.isEmpty }

    static func isIPAddress(_ host: String) -> Bool { isIPv4(host) || (host.contains(":") && host.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }) }

    static func isIPv4(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCIIDigit) && Int(part)! <= 255
        }
    }

    /// `name`, `name:port`, `[v6]`, `[v6]:port` into the host (no brackets, no trailing dot) and the port; nil when it
    /// is not a host at all (empty, an unclosed bracket, a port that is not a number).
    static func split(_ text: String) -> (host: String, port: Int?)? {
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                portText = rest.dropFirst()
            }
        } else if let colon = text.firstIndex(of: ":") {
            // More than one colon without brackets is a bare IPv6 address (as a bound host is written), no port.
            if text[text.index(after: colon)...].contains(":") {
                host = Substring(text)
            } else {
                host = text[..<colon]
                portText = text[text.index(after: colon)...]
            }
        } else {
            host = Substring(text)
        }
        while host.hasSuffix(".") { host = host.dropLast() }
        guard !host.isEmpty, !host.contains(where: { $0 == "/" || $0 == "@" || $0 == " " }) else { return nil }
        var port: Int?
        if let portText {
            guard let value = Int(portText), (0...65_535).contains(value) else { return nil }
            port = value
        }
        return (String(host), port)
    }

    static func normalisedHost(_ text: String) -> String {
        let lowered = text.trimmingSpaces().lowercased()
        if lowered.hasPrefix("["), lowered.hasSuffix("]") { return String(lowered.dropFirst().dropLast()) }
        var host = Substring(lowered)
        while host.hasSuffix(".") { host = host.dropLast() }
        return String(host)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var view = Substring(self)
        while let first = view.first, first == " " || first == "\t" { view = view.dropFirst() }
        while let last = view.last, last == " " || last == "\t" { view = view.dropLast() }
        return String(view)
    }
}

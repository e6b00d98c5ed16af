import Foundation

/// What the monitoring API checks before any handler runs, so that no web page can read it or act through it.
///
/// Three checks, in order:
/// 1. `Host` (``HostPolicy``): a name the user did not allow is refused, which defeats DNS rebinding.
/// 2. `Origin`: a browser request from another page is refused. The dashboard's own origin (the request's `Host`,
///    over http or https, so a TLS proxy in front keeps working) and the origins in `http.allowed_origins` pass; a
///    request without `Origin` (curl, Prometheus, scripts) passes. A listed origin also gets CORS headers, and its
///    preflights are answered; nothing else ever gets CORS headers.
/// 3. Requests that act (any method but GET, HEAD and OPTIONS, e.g. `POST /api/call_tool`) must say
///    `Content-Type: application/json` and carry `X-MCPWatch-Request: 1`. A browser sends neither from a form or a
///    "simple" cross-site request without asking first, and the preflight it would need is refused by check 2.
public struct CrossSiteGuard: Sendable, Equatable {
    /// Which `Host` headers are answered.
    public var hosts: HostPolicy
    /// Origins allowed besides the page's own (`scheme://host[:port]`); `*` allows every origin.
    public var allowedOrigins: [String]

    /// The header a request that acts must carry (value `1`), which only a preflighted request can send.
    public static let requestHeader = "X-MCPWatch-Request"
    /// The configuration key for more origins.
    public static let originsSettingKey = "http.allowed_origins"

    /// Creates a guard.
    public init(hosts: HostPolicy, allowedOrigins: [String] = []) {
        self.hosts = hosts
        self.allowedOrigins = allowedOrigins.map { OriginPolicy.normalised($0) }
    }

    /// The parts of a request the checks read.
    public struct Request: Sendable, Equatable {
        /// `GET`, `POST`, `OPTIONS`, ...
        public var method: String
        /// The `Host` header, if any.
        public var host: String?
        /// The `Origin` header, if any.
        public var origin: String?
        /// The `Content-Type` header, if any.
        public var contentType: String?
        /// The `X-MCPWatch-Request` header, if any.
        public var requestHeader: String?
        /// The `Access-Control-Request-Method` header of a preflight, if any.
        public var preflightMethod: String?
        /// Whether a handler answers this method on this path. A method no handler takes acts on nothing (it gets
        /// 404 or 405 from routing), so the acting-request check does not apply to it.
        public var isRouted: Bool

        /// Creates a request description.
        public init(method: String, host: String?, origin: String? = nil, contentType: String? = nil,
                    requestHeader: String? = nil, preflightMethod: String? = nil, isRouted: Bool = true) {
            self.method = method.uppercased()
            self.host = host
            self.origin = origin
            self.contentType = contentType
            self.requestHeader = requestHeader
            self.preflightMethod = preflightMethod
            self.isRouted = isRouted
        }
    }

    /// What to do with a request.
    public enum Verdict: Sendable, Equatable {
        /// Answer it; with `corsOrigin`, add `Access-Control-Allow-Origin` for that (listed) origin.
        case pass(corsOrigin: String?)
        /// A CORS preflight from a listed origin: answer 204 with the CORS headers, nothing else.
        case preflight(origin: String)
        /// Refuse it with this HTTP status and message, naming the setting that would allow it (if any).
        case refuse(status: Int, message: String, setting: String?)
    }

    /// Decides.
    public func check(_ request: Request) -> Verdict {
        if let host = request.host, !hosts.allows(host: host) {
            return .refuse(status: 403, message: hosts.refusal(host: host), setting: HostPolicy.settingKey)
        }
        var corsOrigin: String?
        if let origin = request.origin {
            let text = OriginPolicy.normalised(origin)
            if Self.isSameOrigin(text, host: request.host) {
                corsOrigin = nil
            } else if allowedOrigins.contains("*") || allowedOrigins.contains(text) {
                corsOrigin = origin.trimmingCharacters(in: .whitespaces)
            } else {
                return .refuse(status: 403,
                    message: "Forbidden: requests from the page at \(origin) are not allowed (cross-site protection); allow that origin with --allow-origin \(text) or the setting \(Self.originsSettingKey)",
                    setting: Self.originsSettingKey)
            }
            if request.method == "OPTIONS", request.preflightMethod != nil, let corsOrigin { return .preflight(origin: corsOrigin) }
        }
        if Self.acts(request.method) && request.isRouted {
            guard Self.isJSON(request.contentType) else {
                return .refuse(status: 415,
                    message: "Unsupported Media Type: a \(request.method) to the monitoring API must send Content-Type: application/json (found \(request.contentType.map { "'\($0)'" } ?? "none"))",
                    setting: nil)
            }
            guard request.requestHeader?.trimmingCharacters(in: .whitespaces) == "1" else {
                return .refuse(status: 403,
                    message: "Forbidden: a \(request.method) to the monitoring API must carry the header '\(Self.requestHeader): 1' (cross-site protection; the dashboard sends it)",
                    setting: nil)
            }
        }
        return .pass(corsOrigin: corsOrigin)
    }

    /// Whether a method changes something (and so needs the JSON content type and the request header).
    static func acts(_ method: String) -> Bool { !["GET", "HEAD", "OPTIONS"].contains(method) }

    /// Whether a `Content-Type` names JSON (`application/json`, parameters allowed): what a browser cannot send from a
    /// form or a "simple" cross-site request without a preflight.
    public static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let media = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return media == "application/json"
    }

    /// Whether `origin` (normalised) is the page this request's `Host` serves, over http or https.
    static func isSameOrigin(_ origin: String, host: String?) -> Bool {
        guard let host, let schemeEnd = origin.range(of: "://") else { return false }
        let scheme = origin[..<schemeEnd.lowerBound]
        guard scheme == "http" || scheme == "https" else { return false }
        let authority = origin[schemeEnd.upperBound...]
        let hostText = host.trimmingCharacters(in: .whitespaces).lowercased()
        if authority == hostText { return true }
        // A default port may be written on one side and not the other.
        let defaultPort = scheme == "https" ? ":443" : ":80"
        return authority + defaultPort == hostText || authority == hostText + defaultPort
    }
}

import Hummingbird
import MCPWatchCore

extension TrafficGate.Caller {
    /// Who sent an HTTP request, for the cache's private entries and the per-client rate limit: the authorization
    /// context is a hash of the `Authorization` header when there is one (never the token itself), else the session.
    init(request: Request, sessionID: String?, by key: TrafficPolicy.ClientKey) {
        let token = request.headers[.authorization].map { "auth:" + Self.digest($0) }
        let context = token ?? sessionID.map { "session:" + $0 }
        let client: String? = switch key {
        case .session: sessionID
        case .apiKey: token
        case .clientInfo: request.headers[.userAgent]
        }
        self.init(session: sessionID, context: context, clientKey: client)
    }

    /// The token kept as a keyed hash (SipHash with this process's random seed: no one can make two tokens meet
    /// on purpose), so the token itself is never held in the cache's keys or the rate limiter's buckets.
    private static func digest(_ text: String) -> String {
        var hasher = Hasher()
        hasher.combine(text)
        var second = Hasher()
        second.combine(0x6d63_7077 as UInt32)
        second.combine(text)
        return String(UInt64(bitPattern: Int64(hasher.finalize())), radix: 16) + String(UInt64(bitPattern: Int64(second.finalize())), radix: 16)
    }
}

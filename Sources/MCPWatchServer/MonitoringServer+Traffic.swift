import Foundation
import Hummingbird
import MCPWatchCore
import NIOCore

extension MonitoringServer {
    /// `GET /api/traffic`: what traffic control did in the server's place (``TrafficReport``), with the server's
    /// own latency per target beside the client's; `enabled: false` when no `traffic:` section configures it.
    func addTrafficRoutes(to router: Router<BasicRequestContext>) {
        let sources = sources
        router.get("/api/traffic") { request, _ in try Self.traffic(sources, request: request) }
    }

    /// The answer to `/api/traffic`.
    struct TrafficAnswer: Codable {
        /// Whether traffic control is configured.
        var enabled: Bool
        /// Why there is nothing, when it is not.
        var message: String?
        /// The figures, when it is.
        var traffic: TrafficReport?
    }

    static func traffic(_ sources: MonitoringSources, request: Request) throws -> Response {
        guard let stats = sources.traffic else {
            return try json(TrafficAnswer(enabled: false, message: "traffic control is off (no traffic: section in the configuration, see docs/traffic.md)"),
                            request: request)
        }
        return try json(TrafficAnswer(enabled: true, traffic: stats.report(serverLatency: sources.store)), request: request)
    }
}

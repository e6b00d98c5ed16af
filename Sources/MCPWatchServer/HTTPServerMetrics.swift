import Foundation
import MCPWatchCore
import Synchronization

/// The HTTP server's own request counts and durations, per route, method and status.
///
/// Routes are the registered patterns (or `unmatched`), so the label set stays bounded whatever clients send.
public final class HTTPServerMetrics: Sendable {
    struct Key: Hashable, Sendable {
        var route: String
        var method: String
        var status: Int
    }

    static let boundsSeconds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    struct Series: Sendable {
        var counts = Array(repeating: UInt64(0), count: HTTPServerMetrics.boundsSeconds.count + 1)
        var sum: Double = 0
    }

    private let series = Mutex<[Key: Series]>([:])

    /// Creates empty metrics.
    public init() {}

    /// Records one request.
    public func record(route: String, method: String, status: Int, seconds: Double) {
        series.withLock { all in
            let key = Key(route: route, method: method, status: status)
            var i = 0
            while i < Self.boundsSeconds.count && seconds > Self.boundsSeconds[i] { i += 1 }
            all[key, default: Series()].counts[i] &+= 1
            all[key, default: Series()].sum += seconds
        }
    }

    /// Writes `http_server_requests_total` and `http_server_request_duration_seconds`.
    public func write(to exposition: inout PrometheusExposition) {
        let copy = series.withLock { $0 }.sorted { ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status) }
        exposition.family("http_server_requests_total", type: "counter", help: "HTTP requests served by mcpwatch, per route, method and status.")
        for (key, s) in copy {
            exposition.sample("http_server_requests_total", Self.labels(key), s.counts.reduce(0, &+))
        }
        exposition.family("http_server_request_duration_seconds", type: "histogram", help: "Duration of HTTP requests served by mcpwatch.", unit: "seconds")
        for (key, s) in copy {
            let labels = Self.labels(key)
            var running: UInt64 = 0
            for (i, bound) in Self.boundsSeconds.enumerated() {
                running &+= s.counts[i]
                exposition.sample("http_server_request_duration_seconds_bucket", labels + [("le", PrometheusExposition.format(bound))], running)
            }
            running &+= s.counts[Self.boundsSeconds.count]
            exposition.sample("http_server_request_duration_seconds_bucket", labels + [("le", "+Inf")], running)
            exposition.sample("http_server_request_duration_seconds_sum", labels, s.sum)
            exposition.sample("http_server_request_duration_seconds_count", labels, running)
        }
    }

    static func labels(_ key: Key) -> [(String, String)] {
        [("http_route", key.route), ("http_request_method", key.method), ("http_response_status_code", String(key.status))]
    }
}

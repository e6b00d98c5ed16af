import Foundation
import Hummingbird
import MCPWatchCore
import MCPWatchStore
import NIOCore

extension MonitoringServer {
    /// `GET /api/calls`: the store's call log, filtered (`server`, `target`, `outcome`, `since`, `until`,
    /// `min_duration`, `id`), newest first or slowest first (`sort=duration`), at most `limit` (default 100, up to 1000).
    func addCallRoutes(to router: Router<BasicRequestContext>) {
        let sources = sources
        router.get("/api/calls") { request, _ in try Self.calls(sources, request: request) }
    }

    /// The answer to `/api/calls`.
    struct CallList: Codable {
        var calls: [StoredCall]
        var count: Int
        var store: String
    }

    static func calls(_ sources: MonitoringSources, request: Request) throws -> Response {
        guard let history = sources.history else {
            return APIError.response(status: .serviceUnavailable, message: "the local store is off (--no-store or store.enabled: false)", setting: "store.enabled")
        }
        let query = try callQuery(request, now: Date())
        let reader: StoreReader
        do { reader = try history.reader() } catch let error as WatchError {
            return APIError.response(status: .serviceUnavailable, message: error.message)
        }
        do {
            var calls = try reader.calls(query)
            // Captured arguments and results (store.capture) come with one call (`id=`), not with lists.
            if query.id == nil { for i in calls.indices { calls[i].arguments = nil; calls[i].result = nil } }
            return try json(CallList(calls: calls, count: calls.count, store: history.path), request: request)
        } catch {
            return APIError.response(status: .serviceUnavailable, message: "cannot read the store: \(StoreDatabase.reason(error))")
        }
    }

    /// Reads the query parameters, refusing malformed ones with 400.
    static func callQuery(_ request: Request, now: Date) throws -> CallQuery {
        let parameters = request.uri.queryParameters
        var query = CallQuery()
        // Present but empty is malformed for the checked parameters (400), and no filter for the free-text ones.
        func text(_ name: String) -> String? { parameters.get(name).map { String($0) } }
        query.server = text("server").flatMap { $0.isEmpty ? nil : $0 }
        query.target = text("target").flatMap { $0.isEmpty ? nil : $0 }
        if let outcome = text("outcome") {
            let known = CallOutcome.allCases.map(\.rawValue) + ["error"]
            guard known.contains(outcome) else {
                throw APIError.badRequest("parameter 'outcome' must be one of \(known.joined(separator: ", ")), not '\(outcome)'")
            }
            query.outcome = outcome
        }
        query.since = try text("since").map { try time($0, parameter: "since", now: now) }
        query.until = try text("until").map { try time($0, parameter: "until", now: now) }
        if let min = text("min_duration") {
            guard let duration = StoreSettings.parseDuration(min) else {
                throw APIError.badRequest("parameter 'min_duration' must be a duration such as 250ms, 2s or a number of seconds, not '\(min)'")
            }
            query.minDurationMs = duration.seconds * 1_000
        }
        if let limit = text("limit") {
            guard let n = Int(limit), (1...1_000).contains(n) else {
                throw APIError.badRequest("parameter 'limit' must be a whole number from 1 to 1000, not '\(limit)'")
            }
            query.limit = n
        }
        if let sort = text("sort") {
            guard sort == "time" || sort == "duration" else { throw APIError.badRequest("parameter 'sort' must be 'time' or 'duration', not '\(sort)'") }
            query.sortByDuration = sort == "duration"
        }
        if let id = text("id") {
            guard let n = Int64(id) else { throw APIError.badRequest("parameter 'id' must be a whole number, not '\(id)'") }
            query.id = n
        }
        return query
    }

    /// A point in time: an ISO 8601 date, Unix seconds, or a duration ago (`15m`, `24h`).
    static func time(_ text: String, parameter: String, now: Date) throws -> Date {
        if let date = ISO8601DateFormatter().date(from: text) { return date }
        if text.contains("."), let seconds = Double(text) { return Date(timeIntervalSince1970: seconds) }
        if let seconds = Double(text), seconds > 1_000_000_000 { return Date(timeIntervalSince1970: seconds) }
        if let ago = StoreSettings.parseDuration(text) { return now.addingTimeInterval(-ago.seconds) }
        throw APIError.badRequest("parameter '\(parameter)' must be an ISO 8601 time, Unix seconds, or a duration ago such as 15m or 24h, not '\(text)'")
    }

    /// The health verdict with the store's problem, if any: degraded, with the reason.
    static func withStore(_ health: HealthReport, _ sources: MonitoringSources) -> HealthReport {
        guard let problem = sources.history?.status?.snapshot.problem else { return health }
        var health = health
        let message = "the local store cannot be written (\(problem)); measuring and relaying go on"
        health.issues.append(.init(severity: "warning", message: message))
        if health.status == .healthy {
            health.status = .degraded
            health.summary = "degraded: " + message
        } else {
            health.summary += "; " + message
        }
        return health
    }
}

extension Duration {
    /// Whole and fractional seconds.
    fileprivate var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

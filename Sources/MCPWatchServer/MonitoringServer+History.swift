import Foundation
import Hummingbird
import MCPWatchCore
import MCPWatchStore

extension MonitoringServer {
    /// `GET /api/series?range=…`: this server's series over a range the store reaches back to (``HistorySeries``).
    ///
    /// Up to an hour it is the store's seconds before this instance started (earlier runs of the same server), then
    /// this instance's own seconds from memory (a bucket both share, at a `step` over 1 s or when the earlier run's
    /// last flush fell in this instance's first second, counts both); beyond an hour, the store's minutes or hours
    /// (this instance's included, written every flush). Without a store, up to an hour is this instance alone, and
    /// more is refused (503).
    static func historySeries(_ sources: MonitoringSources, server: String, request: Request, range text: String) throws -> Response {
        let startedAt = sources.store.startDate
        guard let range = HistorySeries.parseRange(text) else {
            throw APIError.badRequest("parameter 'range' must be a whole number of seconds, minutes, hours or days such as 90s, 15m, 24h, 7d or 30d (at most 399d), not '\(text)'")
        }
        var step: Int?
        if let value = request.uri.queryParameters.get("step") {
            guard let number = Int(value), (1...86_400).contains(number) else {
                throw APIError.badRequest("parameter 'step' must be a whole number of seconds from 1 to 86400, not '\(value)'")
            }
            step = number
        }
        let now = Date()
        let since = now.addingTimeInterval(-Double(range))
        var reader: StoreReader?
        var unavailable = "the local store is off (--no-store or store.enabled: false)"
        if let history = sources.history {
            do { reader = try history.reader() } catch let error as WatchError { unavailable = error.message }
        }
        guard range <= 3_600 else {
            guard let reader else { return APIError.response(status: .serviceUnavailable, message: "a range beyond an hour needs the store: \(unavailable)") }
            do {
                return try json(HistorySeries.stored(reader, server: server, range: range, step: step, now: now), request: request)
            } catch {
                return APIError.response(status: .serviceUnavailable, message: "cannot read the store: \(StoreDatabase.reason(error))")
            }
        }
        let chosen = step ?? HistorySeries.step(range: range)
        let live = sources.store.overallSeries(seconds: range, step: chosen)
        // This instance's seconds begin at its start; before that, the store has the earlier runs.
        let boundary = Date(timeIntervalSince1970: startedAt.timeIntervalSince1970.rounded(.down))
        // A live bucket that ends after the start is this instance's (one over 1 s may begin a little before it); the
        // store's rows before it are the earlier runs'.
        let own = live.points.filter { $0.time.addingTimeInterval(Double(live.stepSeconds)) > startedAt }
        let cut = min(own.first?.time ?? boundary, boundary)
        var points = own.map {
            HistorySeries.Point(time: $0.time, calls: $0.calls, errors: $0.errors, avgMs: $0.avgMs, p50Ms: $0.p50Ms, p95Ms: $0.p95Ms,
                                p99Ms: $0.p99Ms, maxMs: $0.maxMs)
        }
        var source = "live"
        if let reader, since < boundary {
            // A store that cannot be read leaves the live seconds (the charts still fill).
            // The earlier runs' rows, up to now: a run's last flush is stamped with the second it was written, which
            // can be this instance's first second when the restart followed at once.
            if let past = try? HistorySeries.storePoints(reader, server: server, since: since, until: now, step: live.stepSeconds,
                                                         startedBefore: startedAt, now: now) {
                // Those rows fall in this instance's buckets, which begin at its start (a fraction into a second, so
                // never at a row's whole second): each is added to the bucket that holds its start, or the first.
                var mine = points
                for p in past.points where p.time >= cut && p.calls > 0 {
                    if let index = mine.lastIndex(where: { $0.time <= p.time }) ?? mine.indices.first {
                        mine[index] = HistorySeries.merged(mine[index], p)
                    } else {
                        mine.append(p)
                    }
                }
                points = past.points.filter { $0.time < cut } + mine
                source = "store+live"
            }
        }
        return try json(HistorySeries(stepSeconds: live.stepSeconds, resolution: "seconds", rangeSeconds: range, since: since, until: now,
                                      source: source, points: points), request: request)
    }

    /// The name this process's server goes by in the store and the fleet (now: it follows the server's `serverInfo`).
    func ownName() -> @Sendable () -> String {
        (fleet?.member ?? Self.unregisteredMember(sources)).name
    }
}

import Foundation
import MCPWatchCore
import MCPWatchStore

/// `GET /api/series?range=24h`: a server's chart series over a range the store reaches back to, in the shape of the
/// live series (`step_seconds`, `points`), at the resolution the store keeps for that range: seconds up to an hour,
/// minutes up to 7 days, hours beyond. Percentiles come from the store's summed histograms, never from averaged
/// percentiles.
///
/// A running server's series is the store's up to this instance's start, then its own live seconds, so that a
/// restarted server's charts go on where they were and the live stream's points follow on.
struct HistorySeries: Encodable, Sendable {
    /// One bucket, as in the live series.
    struct Point: Encodable, Sendable {
        var time: Date
        var calls: UInt64
        var errors: UInt64
        var avgMs: Double?
        var p50Ms: Double?
        var p95Ms: Double?
        var p99Ms: Double?
        var maxMs: Double?
    }

    /// Bucket width in seconds.
    var stepSeconds: Int
    /// The store's table the past buckets come from: `seconds`, `minutes` or `hours` (`live` without a store).
    var resolution: String
    /// The range asked for, in seconds.
    var rangeSeconds: Int
    /// The range's start and end.
    var since: Date
    var until: Date
    /// Where the buckets come from: `store`, `store+live` (the store before this instance, then its own seconds),
    /// or `live` (no store: this instance alone).
    var source: String
    /// Every bucket of the range, oldest first (a bucket without calls has zero calls and no latency).
    var points: [Point]

    /// The `range` parameter: a whole number of seconds, minutes, hours or days (`90s`, `15m`, `24h`, `7d`, `30d`),
    /// written as docs/openapi.json's pattern says (no leading zero; up to 999999s, 99999m, 999h or 399d), so that
    /// what the schema allows is exactly what is answered.
    static func parseRange(_ text: String) -> Int? {
        let units: [Character: (seconds: Int, digits: Int)] = ["s": (1, 6), "m": (60, 5), "h": (3_600, 3), "d": (86_400, 3)]
        guard let unit = text.last, let (size, digits) = units[unit] else { return nil }
        let number = text.dropLast()
        guard (1...digits).contains(number.count), number.first != "0", number.allSatisfy({ $0 >= "0" && $0 <= "9" }),
              let value = Int(number), unit != "d" || value < 400 else { return nil }
        return value * size
    }

    /// The bucket width for a range: seconds up to an hour (the store's finest, and the live stream's), else about
    /// 3,000 buckets at least as wide as the store's table for that range (minutes to 7 days, hours beyond).
    static func step(range: Int) -> Int {
        if range <= 3_600 { return 1 }
        let width = range <= 7 * 86_400 ? 60 : 3_600
        let ladder = [60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200, 86_400]
        let wanted = (range + 2_999) / 3_000
        return ladder.first { $0 >= wanted && $0 % width == 0 } ?? 86_400
    }

    /// The store's buckets of `server` over `since..<until` (every bucket, empty ones with zero calls).
    static func storePoints(_ reader: StoreReader, server: String, since: Date, until: Date, step: Int, target: TargetKey? = nil,
                            startedBefore: Date? = nil, now: Date) throws -> (points: [Point], table: String, step: Int) {
        guard until > since else { return ([], "seconds", step) }
        let stored = try reader.series(server: server, range: DateInterval(start: since, end: until), target: target, step: step,
                                       startedBefore: startedBefore, now: now)
        let bucket = Int64(stored.resolutionSeconds)
        var byTime: [Int64: StoredSeries.Point] = [:]
        for p in stored.points { byTime[Int64(p.time.timeIntervalSince1970)] = p }
        var points: [Point] = []
        var at = Int64(since.timeIntervalSince1970.rounded(.down)) / bucket * bucket
        let end = Int64(until.timeIntervalSince1970.rounded(.up))
        while at < end {
            if let p = byTime[at] {
                points.append(Point(time: p.time, calls: p.calls, errors: p.errors, avgMs: p.avgMs, p50Ms: p.p50Ms, p95Ms: p.p95Ms,
                                    p99Ms: p.p99Ms, maxMs: p.maxMs))
            } else {
                points.append(Point(time: Date(timeIntervalSince1970: Double(at)), calls: 0, errors: 0))
            }
            at += bucket
        }
        return (points, stored.table, stored.resolutionSeconds)
    }

    /// `point` and `other` counted together (two runs in one bucket): counts and sums add up; the percentiles are the
    /// busier one's, since points carry no histogram.
    static func merged(_ point: Point, _ other: Point) -> Point {
        guard other.calls > 0 else { return point }
        guard point.calls > 0 else { return other }
        let calls = point.calls + other.calls
        let busier = point.calls >= other.calls ? point : other
        var avg: Double?
        if let a = point.avgMs, let b = other.avgMs { avg = (a * Double(point.calls) + b * Double(other.calls)) / Double(calls) }
        return Point(time: point.time, calls: calls, errors: point.errors + other.errors, avgMs: avg, p50Ms: busier.p50Ms,
                     p95Ms: busier.p95Ms, p99Ms: busier.p99Ms, maxMs: [point.maxMs, other.maxMs].compactMap { $0 }.max())
    }

    /// A stopped server's series: the store alone, up to `now`.
    static func stored(_ reader: StoreReader, server: String, range: Int, step: Int?, now: Date = Date()) throws -> HistorySeries {
        let step = step ?? Self.step(range: range)
        let since = now.addingTimeInterval(-Double(range))
        let (points, table, width) = try storePoints(reader, server: server, since: since, until: now, step: step, now: now)
        return HistorySeries(stepSeconds: width, resolution: table, rangeSeconds: range, since: since, until: now, source: "store", points: points)
    }
}

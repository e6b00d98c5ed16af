import Foundation
import GRDB
import MCPWatchCore

/// What traffic control did for one server over a range, from the store's `traffic` table.
public struct StoredTrafficFigures: Codable, Sendable, Equatable {
    /// Calls let through to the server.
    public var admitted: UInt64 = 0
    /// Answers mcpwatch gave instead of the server, by outcome (`cached`, `queued_out`, ...).
    public var answered: [String: UInt64] = [:]
    /// Late answers dropped after a timeout.
    public var lateAnswersDropped: UInt64 = 0
    /// Cache lookups answered from the cache.
    public var cacheHits: UInt64 = 0
    /// Cache lookups that found nothing fresh.
    public var cacheMisses: UInt64 = 0
    /// Hits over lookups in percent (nil without lookups).
    public var cacheHitRate: Double? { cacheHits + cacheMisses == 0 ? nil : Double(cacheHits) * 100 / Double(cacheHits + cacheMisses) }
    /// Cache entries evicted.
    public var cacheEvictions: UInt64 = 0
    /// Times a breaker opened.
    public var breakerOpenings: UInt64 = 0
    /// The deepest the queue was at a flush in the range.
    public var queueDepthMax: Int = 0

    /// Nothing.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case admitted, answered, lateAnswersDropped, cacheHits, cacheMisses, cacheHitRate, cacheEvictions, breakerOpenings, queueDepthMax
    }

    /// Reads what ``encode(to:)`` writes (the hit rate is computed, not read).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        admitted = try c.decode(UInt64.self, forKey: .admitted)
        answered = try c.decode([String: UInt64].self, forKey: .answered)
        lateAnswersDropped = try c.decode(UInt64.self, forKey: .lateAnswersDropped)
        cacheHits = try c.decode(UInt64.self, forKey: .cacheHits)
        cacheMisses = try c.decode(UInt64.self, forKey: .cacheMisses)
        cacheEvictions = try c.decode(UInt64.self, forKey: .cacheEvictions)
        breakerOpenings = try c.decode(UInt64.self, forKey: .breakerOpenings)
        queueDepthMax = try c.decode(Int.self, forKey: .queueDepthMax)
    }

    /// Writes the figures with the hit rate (absent without lookups).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(admitted, forKey: .admitted)
        try c.encode(answered, forKey: .answered)
        try c.encode(lateAnswersDropped, forKey: .lateAnswersDropped)
        try c.encode(cacheHits, forKey: .cacheHits)
        try c.encode(cacheMisses, forKey: .cacheMisses)
        try c.encodeIfPresent(cacheHitRate, forKey: .cacheHitRate)
        try c.encode(cacheEvictions, forKey: .cacheEvictions)
        try c.encode(breakerOpenings, forKey: .breakerOpenings)
        try c.encode(queueDepthMax, forKey: .queueDepthMax)
    }
}

extension StoreReader {
    /// Traffic control's figures per server over `since..<until`: each instance's counters at the last row in the
    /// range minus those at the last row before it (zero when it started in the range), summed over its instances.
    /// Servers whose proxies had no traffic control have no entry.
    public func traffic(server: String? = nil, since: Date, until: Date = Date()) throws -> [String: StoredTrafficFigures] {
        let from = Self.clamped(since.timeIntervalSince1970)
        let to = Self.clamped(until.timeIntervalSince1970.rounded(.up))
        let counters = StoreSchema.trafficCounters
        var filter = ""
        var arguments = StatementArguments([from, to])
        if let server {
            filter = " AND v.name = ?"
            arguments += [server]
        }
        return try pool.read { db in
            guard try db.tableExists("traffic") else { return [:] }
            var result: [String: StoredTrafficFigures] = [:]
            let instances = try Row.fetchAll(db, sql: """
                SELECT t.instance_id, v.name, max(t.at), max(t.queue_depth) FROM traffic t
                JOIN instances i ON i.id = t.instance_id JOIN servers v ON v.id = i.server_id
                WHERE t.at >= ? AND t.at < ?\(filter) GROUP BY t.instance_id
                """, arguments: arguments)
            let columns = counters.joined(separator: ", ")
            for row in instances {
                let instance: Int64 = row[0], name: String = row[1], lastAt: Int64 = row[2], depth: Int = row[3]
                let last = try Row.fetchOne(db, sql: "SELECT \(columns) FROM traffic WHERE instance_id = ? AND at = ?", arguments: [instance, lastAt])
                let before = try Row.fetchOne(db, sql: "SELECT \(columns) FROM traffic WHERE instance_id = ? AND at < ? ORDER BY at DESC LIMIT 1",
                                              arguments: [instance, from])
                guard let last else { continue }
                var values: [String: UInt64] = [:]
                for (i, column) in counters.enumerated() {
                    let end: Int64 = last[i], start: Int64 = before?[i] ?? 0
                    values[column] = UInt64(max(0, end - start))
                }
                var figures = result[name] ?? StoredTrafficFigures()
                figures.admitted += values["admitted"]!
                for outcome in TrafficOutcome.allCases { figures.answered[outcome.rawValue, default: 0] += values[outcome.rawValue] ?? 0 }
                figures.lateAnswersDropped += values["late_answers_dropped"]!
                figures.cacheHits += values["cache_hits"]!
                figures.cacheMisses += values["cache_misses"]!
                figures.cacheEvictions += values["cache_evictions"]!
                figures.breakerOpenings += values["breaker_openings"]!
                figures.queueDepthMax = max(figures.queueDepthMax, depth)
                result[name] = figures
            }
            return result
        }
    }
}

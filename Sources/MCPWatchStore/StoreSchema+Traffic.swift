import GRDB

extension StoreSchema {
    /// The columns of `traffic` that hold counters since the instance's start (a range's figure is the last row's
    /// minus the row before the range), in order.
    static let trafficCounters = [
        "admitted", "cached", "queued_out", "rejected", "timed_out", "circuit_open", "rate_limited", "late_answers_dropped",
        "cache_hits", "cache_misses", "cache_evictions", "breaker_openings",
    ]

    /// `v2_traffic`: what traffic control did, one row per flush that saw a change (`traffic`, docs/store.md):
    /// counters since the instance's start, and the queue, cache and breakers as they were.
    static func registerTraffic(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2_traffic") { db in
            try db.execute(sql: """
                CREATE TABLE traffic (
                    instance_id INTEGER NOT NULL,
                    at INTEGER NOT NULL,
                    queue_depth INTEGER NOT NULL,
                    queue_depth_peak INTEGER NOT NULL,
                    in_flight INTEGER NOT NULL,
                    \(trafficCounters.map { "\($0) INTEGER NOT NULL" }.joined(separator: ",\n                    ")),
                    cache_entries INTEGER NOT NULL,
                    cache_bytes INTEGER NOT NULL,
                    breakers_open INTEGER NOT NULL,
                    PRIMARY KEY (instance_id, at)
                ) WITHOUT ROWID
                """)
        }
    }
}

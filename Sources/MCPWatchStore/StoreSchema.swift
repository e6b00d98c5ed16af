import GRDB

/// The store's tables, created and changed by migrations only (GRDB's `DatabaseMigrator`): a store written by one
/// version opens with every later one. docs/store.md describes each table for `sqlite3` users.
///
/// Never edit a migration that has shipped: add one.
public enum StoreSchema {
    /// `PRAGMA application_id` of a mcpwatch store ('mcpw'): a file without it is not written to.
    public static let applicationID: Int32 = 0x6D63_7077
    /// The resolutions series are kept at, finest first, with their table names and bucket widths in seconds.
    public static let resolutions: [(table: String, seconds: Int)] = [
        ("series_seconds", 1), ("series_minutes", 60), ("series_hours", 3_600),
    ]

    /// The migrations, in order.
    public static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
            try db.execute(sql: """
                CREATE TABLE servers (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    named_by TEXT NOT NULL,
                    command TEXT,
                    first_seen REAL NOT NULL,
                    last_seen REAL NOT NULL
                );
                CREATE TABLE instances (
                    id INTEGER PRIMARY KEY,
                    server_id INTEGER NOT NULL REFERENCES servers(id),
                    pid INTEGER NOT NULL,
                    host TEXT,
                    server_pid INTEGER,
                    mode TEXT NOT NULL,
                    transport TEXT NOT NULL,
                    started_at REAL NOT NULL,
                    last_flush REAL NOT NULL,
                    ended_at REAL,
                    exit_status TEXT,
                    socket TEXT
                );
                CREATE INDEX instances_by_server ON instances(server_id, started_at);
                CREATE TABLE targets (
                    id INTEGER PRIMARY KEY,
                    method TEXT NOT NULL,
                    target TEXT NOT NULL DEFAULT '',
                    direction TEXT NOT NULL,
                    UNIQUE (method, target)
                );
                CREATE TABLE clients (
                    id INTEGER PRIMARY KEY,
                    server_id INTEGER NOT NULL REFERENCES servers(id),
                    name TEXT NOT NULL,
                    version TEXT NOT NULL DEFAULT '',
                    first_seen REAL NOT NULL,
                    last_seen REAL NOT NULL,
                    UNIQUE (server_id, name, version)
                );
                CREATE TABLE samples (
                    instance_id INTEGER NOT NULL,
                    at INTEGER NOT NULL,
                    server_cpu_percent REAL,
                    server_rss_bytes INTEGER,
                    mcpwatch_cpu_percent REAL,
                    mcpwatch_rss_bytes INTEGER,
                    host_cpu_percent REAL,
                    host_memory_percent REAL,
                    PRIMARY KEY (instance_id, at)
                ) WITHOUT ROWID;
                CREATE TABLE alert_events (
                    id INTEGER PRIMARY KEY,
                    instance_id INTEGER NOT NULL,
                    at REAL NOT NULL,
                    kind TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    alert_id TEXT NOT NULL,
                    event TEXT NOT NULL
                );
                CREATE INDEX alert_events_by_instance ON alert_events(instance_id, at);
                -- No index on at: rows go in in time order, so the newest are the highest ids (an index cost a third
                -- of a desktop server-day's growth).
                CREATE TABLE calls (
                    id INTEGER PRIMARY KEY,
                    at INTEGER NOT NULL,
                    instance_id INTEGER NOT NULL,
                    target_id INTEGER NOT NULL,
                    client_id INTEGER,
                    duration_us INTEGER NOT NULL,
                    rounds INTEGER NOT NULL DEFAULT 1,
                    outcome TEXT NOT NULL,
                    error_code INTEGER,
                    error_message TEXT,
                    request_bytes INTEGER NOT NULL,
                    response_bytes INTEGER NOT NULL,
                    arguments TEXT,
                    result TEXT
                );
                """)
            for (table, _) in resolutions {
                try db.execute(sql: """
                    CREATE TABLE \(table) (
                        instance_id INTEGER NOT NULL,
                        at INTEGER NOT NULL,
                        target_id INTEGER NOT NULL,
                        calls INTEGER NOT NULL,
                        ok INTEGER NOT NULL,
                        jsonrpc_error INTEGER NOT NULL,
                        tool_error INTEGER NOT NULL,
                        cancelled INTEGER NOT NULL,
                        lost INTEGER NOT NULL,
                        error_types TEXT,
                        duration_ns INTEGER NOT NULL,
                        max_ns INTEGER NOT NULL,
                        request_bytes INTEGER NOT NULL,
                        response_bytes INTEGER NOT NULL,
                        histogram BLOB NOT NULL,
                        PRIMARY KEY (instance_id, at, target_id)
                    ) WITHOUT ROWID
                    """)
            }
        }
        registerTraffic(&migrator)
        registerRollup(&migrator)
        return migrator
    }
}

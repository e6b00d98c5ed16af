import Foundation
import GRDB
import MCPWatchCore

/// Opens the store's file: checks that it is a mcpwatch store (or new) before anything writes to it, then opens it
/// in WAL mode with a busy timeout (many proxies share one file) and runs the migrations.
///
/// A file that is not SQLite, is an SQLite database of another program, is corrupt, or was written by a newer
/// mcpwatch is refused with a ``WatchError`` that names it, and is never written to.
public enum StoreDatabase {
    /// How long a write waits for another process's write lock before it fails (and is retried at the next flush).
    public static let busyTimeout: TimeInterval = 10

    /// Opens (creating the folder and the file if needed) the store at `path` for reading and writing.
    /// - Throws: ``WatchError`` `.invalidArgument` for a file that is not a mcpwatch store, `.io` when the folder or
    ///   the file cannot be created or opened.
    public static func open(path: String) throws -> DatabasePool {
        try check(path: path)
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw WatchError(.io, "cannot create the store's folder \(folder): \(Self.reason(error))")
            }
        }
        do {
            let pool = try DatabasePool(path: path, configuration: configuration(readonly: false))
            try pool.writeWithoutTransaction { db in
                // Only takes effect on a new file (before the first table): lets max_size shrink the file.
                try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
            }
            // GRDB reads which migrations are applied before it takes the write lock, so two proxies that create the
            // store at once can both start "v1": the second fails ("table ... already exists") once the first has
            // committed, and its next try finds everything applied.
            for attempt in 1... {
                do {
                    try StoreSchema.migrator.migrate(pool)
                    break
                } catch where attempt < 5 {
                    continue
                }
            }
            return pool
        } catch let error as WatchError {
            throw error
        } catch {
            throw WatchError(.io, "cannot open the store \(path): \(Self.reason(error))")
        }
    }

    /// Opens an existing store for reading only (reports, the fleet view).
    /// - Throws: ``WatchError`` `.unavailable` when there is no file, `.invalidArgument` when it is not a store.
    public static func openForReading(path: String) throws -> DatabasePool {
        guard FileManager.default.fileExists(atPath: path) else {
            throw WatchError(.unavailable, "no store at \(path) yet: run a proxy first, or name one with --store PATH")
        }
        try check(path: path)
        do {
            let pool = try DatabasePool(path: path, configuration: configuration(readonly: true))
            return pool
        } catch {
            throw WatchError(.io, "cannot open the store \(path): \(Self.reason(error))")
        }
    }

    /// The first 16 bytes of every SQLite database.
    static let sqliteHeader = Array("SQLite format 3\0".utf8)

    /// Refuses a file that is not a mcpwatch store (or an empty or new file), reading it only.
    static func check(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { return }  // absent (or unreadable: open says)
        let head = (try? handle.read(upToCount: 100)) ?? Data()
        try? handle.close()
        if head.isEmpty { return }  // an empty file: SQLite makes a database of it
        guard head.count >= 16, Array(head.prefix(16)) == sqliteHeader else {
            throw WatchError(.invalidArgument, "\(path) is not a mcpwatch store (not an SQLite database); it is left as it is: move it away or name another file with --store PATH")
        }
        do {
            var config = configuration(readonly: true)
            config.journalMode = .default
            let queue = try DatabaseQueue(path: path, configuration: config)
            defer { try? queue.close() }
            try queue.read { db in
                let id = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table'") ?? 0
                if id != StoreSchema.applicationID && tables > 0 {
                    throw WatchError(.invalidArgument, "\(path) is an SQLite database of another program (application_id \(id)), not a mcpwatch store; it is left as it is: name another file with --store PATH")
                }
                if id == StoreSchema.applicationID {
                    let known = Set(StoreSchema.migrator.migrations)
                    let applied = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
                    if let newer = applied.first(where: { !known.contains($0) }) {
                        throw WatchError(.invalidArgument, "\(path) was written by a newer mcpwatch (schema '\(newer)'); it is left as it is: upgrade mcpwatch or name another file with --store PATH")
                    }
                }
            }
        } catch let error as WatchError {
            throw error
        } catch {
            throw WatchError(.invalidArgument, "\(path) is corrupt or not a mcpwatch store (\(Self.reason(error))); it is left as it is: move it away or name another file with --store PATH")
        }
    }

    static func configuration(readonly: Bool) -> Configuration {
        var config = Configuration()
        config.readonly = readonly
        config.busyMode = .timeout(busyTimeout)
        config.label = "mcpwatch-store"
        config.maximumReaderCount = 2
        config.prepareDatabase { db in
            // In WAL mode NORMAL survives a killed process (what a proxy meets); only a power cut may lose the last flush.
            if !readonly { try db.execute(sql: "PRAGMA synchronous = NORMAL") }
            db.add(function: StoreFunctions.histogramMerge)
            db.add(function: StoreFunctions.countsMerge)
        }
        return config
    }

    /// An error's message for people: SQLite's own words where there are some.
    public static func reason(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "\(error.resultCode)" }
        if let error = error as? WatchError { return error.message }
        return "\(error)"
    }
}

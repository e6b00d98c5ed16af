import Foundation
import GRDB
import MCPWatchCore
import Testing
@testable import MCPWatchStore

@Suite("Store faults")
struct StoreFaultTests {
    @Test("a file that is not SQLite is refused with a clear reason and never written")
    func notSQLite() throws {
        let f = StoreFixture()
        defer { f.remove() }
        let garbage = Data("this is somebody's notes, not a database\n".utf8) + Data(repeating: 7, count: 5_000)
        try garbage.write(to: URL(fileURLWithPath: f.path))
        f.record("a", micros: 1_000)
        #expect(!f.writer.flush())
        let problem = try #require(f.writer.status.snapshot.problem)
        #expect(problem.contains("not a mcpwatch store"))
        #expect(problem.contains(f.path))
        #expect(!f.writer.flush(final: true))
        #expect(try Data(contentsOf: URL(fileURLWithPath: f.path)) == garbage)
        #expect(!FileManager.default.fileExists(atPath: f.path + "-wal"))
    }

    @Test("another program's SQLite database is refused and left as it was")
    func foreignDatabase() throws {
        let f = StoreFixture()
        defer { f.remove() }
        let queue = try DatabaseQueue(path: f.path)
        try queue.write { try $0.execute(sql: "CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('keep me')") }
        try queue.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: f.path))
        f.record("a", micros: 1_000)
        #expect(!f.writer.flush(final: true))
        #expect(f.writer.status.snapshot.problem?.contains("another program") == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: f.path)) == before)
    }

    @Test("a corrupt store is refused and left as it was")
    func corrupt() throws {
        let f = StoreFixture()
        defer { f.remove() }
        f.record("a", micros: 1_000)
        #expect(f.writer.flush(final: true))
        f.writer.close()
        // No WAL to mask the damage; keep SQLite's header, trash the rest.
        try? FileManager.default.removeItem(atPath: f.path + "-wal")
        try? FileManager.default.removeItem(atPath: f.path + "-shm")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: f.path))
        for i in 100..<bytes.count { bytes[i] = UInt8(truncatingIfNeeded: i * 31) }
        try bytes.write(to: URL(fileURLWithPath: f.path))
        let clock = f.clock
        var settings = StoreSettings()
        settings.path = f.path
        let metrics = MetricsStore(clock: clock)
        let writer = StoreWriter(settings: settings, identity: .init(configuredName: "x", command: nil, mode: "stdio", transport: "pipe"),
                                 sources: .init(metrics: metrics), logger: .init(label: "t"), now: { clock.wallNow() })
        #expect(!writer.flush(final: true))
        #expect(writer.status.snapshot.problem != nil)
        #expect(try Data(contentsOf: URL(fileURLWithPath: f.path)) == bytes)
    }

    @Test("a folder that cannot be made: the problem is kept, rows wait, and writing resumes with every count")
    func unusableFolderResumes() throws {
        let folder = NSTemporaryDirectory() + "mcpwatch-store-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // A file where the store's folder should be: nothing can be created under it (even as root).
        let blocker = folder + "/state"
        try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
        let f = StoreFixture(path: blocker + "/mcpwatch.db")
        for _ in 0..<10 { f.record("a", micros: 1_000, outcome: .toolError) }
        #expect(!f.writer.flush())
        #expect(f.writer.status.snapshot.problem?.contains("cannot create") == true)
        f.clock.advance(seconds: 1)
        for _ in 0..<10 { f.record("a", micros: 1_000) }
        #expect(!f.writer.flush())  // within 5 s of the last attempt: not even tried
        try FileManager.default.removeItem(atPath: blocker)
        f.clock.advance(seconds: 5)
        #expect(f.writer.flush())
        #expect(f.writer.status.snapshot.problem == nil)
        #expect(f.writer.status.snapshot.failedFlushes == 1)  // the flush within 5 s of the failed open did not try
        let now = f.clock.wallNow()
        let report = try #require(try f.reader().report(since: now.addingTimeInterval(-60), until: now.addingTimeInterval(1), now: now).first)
        #expect(report.total.calls == 20)
        #expect(try f.reader().calls(CallQuery()).count == 20)
    }

    @Test("a store whose writer was killed while writing a flush opens cleanly, without that flush")
    func tornFlush() throws {
        let f = StoreFixture()
        defer { f.remove() }
        f.record("a", micros: 1_000)
        #expect(f.writer.flush())
        f.clock.advance(seconds: 1)
        f.record("b", micros: 1_000)
        #expect(f.writer.flush())
        // What a SIGKILL leaves while the second flush's pages were being appended to the WAL: the files as they are
        // on disk, the WAL cut in the middle of its last frame. (The writer is still open: nothing was checkpointed.)
        let crash = f.folder + "/crash"
        try FileManager.default.createDirectory(atPath: crash, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: f.path, toPath: crash + "/mcpwatch.db")
        var wal = try Data(contentsOf: URL(fileURLWithPath: f.path + "-wal"))
        #expect(wal.count > 4_096)
        wal.removeLast(2_000)
        try wal.write(to: URL(fileURLWithPath: crash + "/mcpwatch.db-wal"))
        f.writer.close()

        let pool = try StoreDatabase.open(path: crash + "/mcpwatch.db")
        let check = try pool.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") }
        #expect(check == "ok")
        let targets = try pool.read { try String.fetchAll($0, sql: "SELECT target FROM targets ORDER BY target") }
        #expect(targets == ["a"])
        try pool.close()
    }

    @Test("a store written by an earlier version (the committed fixture) opens and reads")
    func migrationFixture() throws {
        let fixture = try #require(Bundle.module.url(forResource: "store-v1", withExtension: "db", subdirectory: "Fixtures"))
        let folder = NSTemporaryDirectory() + "mcpwatch-store-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/mcpwatch.db"
        try FileManager.default.copyItem(atPath: fixture.path, toPath: path)
        let pool = try StoreDatabase.open(path: path)
        let applied = try pool.read { try StoreSchema.migrator.appliedIdentifiers($0) }
        #expect(applied == Set(StoreSchema.migrator.migrations))
        try pool.close()
        let reader = try StoreReader(path: path)
        let servers = try reader.servers(window: .seconds(100 * 365 * 86_400))
        #expect(servers.map(\.name) == ["fixture"])
        let report = try #require(try reader.report(server: "fixture", since: Date(timeIntervalSince1970: 0)).first)
        #expect(report.total.calls == 61)  // initialize and 60 tools/call
        #expect(try reader.calls(CallQuery()).count == 61)
    }
}

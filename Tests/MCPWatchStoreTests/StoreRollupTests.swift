import Foundation
import GRDB
import MCPWatchCore
import Testing
@testable import MCPWatchStore

/// The open minute and hour kept in memory (``SeriesRollup``): minutes and hours whole once the minute closes, and a
/// killed writer's open minute rebuilt from its seconds rows.
@Suite("Store rollup")
struct StoreRollupTests {
    func sums(_ pool: DatabasePool, _ table: String, instance: Int64? = nil) throws -> Int {
        try pool.read { db in
            try Int.fetchOne(db, sql: "SELECT coalesce(sum(calls), 0) FROM \(table) WHERE ? IS NULL OR instance_id = ?",
                             arguments: [instance, instance]) ?? 0
        }
    }

    @Test("a closed minute's row, and its hour's, hold every call of the seconds rows")
    func minuteClosesWhole() throws {
        let f = StoreFixture()
        defer { f.remove() }
        // Ten flushes in one minute, then one in the next, then one in the next hour.
        f.clock.advance(seconds: 60 - f.clock.wallNow().timeIntervalSince1970.truncatingRemainder(dividingBy: 60))
        for second in 0..<10 {
            for _ in 0...second { f.record("search", micros: 1_000 + UInt64(second)) }
            f.record("fetch", micros: 2_000, outcome: .toolError)
            #expect(f.writer.flush())
            f.clock.advance(seconds: 1)
        }
        f.clock.advance(seconds: 60)
        f.record("search", micros: 500)
        #expect(f.writer.flush())
        let pool = try DatabasePool(path: f.path)
        let total = 55 + 10 + 1
        #expect(try sums(pool, "series_seconds") == total)
        // The first minute is whole; the open one has its first row already.
        #expect(try sums(pool, "series_minutes") == total)
        #expect(try sums(pool, "series_hours") >= 65)
        let errors = try pool.read { try String.fetchAll($0, sql: "SELECT error_types FROM series_minutes WHERE error_types IS NOT NULL") }
        #expect(errors == ["{\"tool_error\":10}"])
        f.clock.advance(seconds: 3_600)
        f.record("search", micros: 500)
        #expect(f.writer.flush(final: true))
        #expect(try sums(pool, "series_minutes") == total + 1)
        #expect(try sums(pool, "series_hours") == total + 1)
        // The minutes resolution counts every call: rows were replaced by whole sums, never by a part.
        let now = f.clock.wallNow()
        let reader = try f.reader()
        let byMinutes = try #require(try reader.report(server: "test-server", since: now.addingTimeInterval(-7_200), until: now, now: now).first)
        #expect(byMinutes.resolution == "minutes")
        #expect(byMinutes.total.calls == UInt64(total + 1))
        let instance = try pool.read { try Int64.fetchOne($0, sql: "SELECT rolled_through FROM instances") }
        #expect(instance == Int64(now.timeIntervalSince1970) + 1)
    }

    @Test("a writer killed mid-minute: the next writer rebuilds its open minute and hour from its seconds rows, once")
    func killedWriterIsRecovered() throws {
        let a = StoreFixture(name: "killed")
        defer { a.remove() }
        a.clock.advance(seconds: 60 - a.clock.wallNow().timeIntervalSince1970.truncatingRemainder(dividingBy: 60))
        for second in 0..<5 {
            for _ in 0..<3 { a.record("search", micros: 1_000) }
            if second == 2 { a.record("search", micros: 9_000, outcome: .jsonrpcError, errorCode: -32603) }
            #expect(a.writer.flush())
            a.clock.advance(seconds: 1)
        }
        a.writer.close()  // no last flush: as after a SIGKILL
        let pool = try DatabasePool(path: a.path)
        let killed = try #require(try pool.read { try Int64.fetchOne($0, sql: "SELECT id FROM instances") })
        #expect(try sums(pool, "series_seconds", instance: killed) == 16)
        #expect(try sums(pool, "series_minutes", instance: killed) < 16)
        // Its process is gone (no process has this pid); a running one would roll its own minute.
        try pool.write { try $0.execute(sql: "UPDATE instances SET pid = 2147483000") }

        let b = StoreFixture(name: "next", path: a.path)
        b.record("other", micros: 1_000)
        #expect(b.writer.flush())
        #expect(try sums(pool, "series_minutes", instance: killed) == 16)
        #expect(try sums(pool, "series_hours", instance: killed) == 16)
        let types = try pool.read { try String.fetchOne($0, sql: "SELECT error_types FROM series_hours WHERE instance_id = ?", arguments: [killed]) }
        #expect(types == "{\"-32603\":1}")
        // Again: nothing is counted twice.
        b.clock.advance(seconds: 120)
        #expect(b.writer.flush(final: true))
        #expect(try sums(pool, "series_minutes", instance: killed) == 16)
        #expect(try sums(pool, "series_hours", instance: killed) == 16)
        let hist = try pool.read { try Data.fetchOne($0, sql: "SELECT histogram FROM series_minutes WHERE instance_id = ?", arguments: [killed]) }
        #expect(SparseHistogram(blob: Array(try #require(hist)))?.total == 16)
        b.writer.close()
    }

    @Test("a running writer's open minute is left to it")
    func runningWriterIsLeftAlone() throws {
        let a = StoreFixture(name: "running")
        defer { a.remove() }
        a.clock.advance(seconds: 60 - a.clock.wallNow().timeIntervalSince1970.truncatingRemainder(dividingBy: 60))
        for _ in 0..<3 {
            a.record("search", micros: 1_000)
            #expect(a.writer.flush())
            a.clock.advance(seconds: 1)
        }
        let b = StoreFixture(name: "other", path: a.path)
        b.record("other", micros: 1_000)
        #expect(b.writer.flush(final: true))
        // This process is a's: alive, so b wrote nothing of a's.
        a.record("search", micros: 1_000)
        #expect(a.writer.flush(final: true))
        let pool = try DatabasePool(path: a.path)
        let id = try #require(try pool.read { try Int64.fetchOne($0, sql: "SELECT i.id FROM instances i JOIN servers s ON s.id = i.server_id WHERE s.name = 'running'") })
        #expect(try sums(pool, "series_minutes", instance: id) == 4)
        #expect(try sums(pool, "series_hours", instance: id) == 4)
        a.writer.close()
        b.writer.close()
    }
}

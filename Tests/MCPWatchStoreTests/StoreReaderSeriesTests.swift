import Foundation
import MCPWatchCore
import Testing
@testable import MCPWatchStore

@Suite("Store reader: series over ranges")
struct StoreReaderSeriesTests {
    /// Two seconds of calls whose p95s are 100 ms and 50 ms, but whose p95 together is 50 ms (averaging would say 75).
    func twoSeconds() -> StoreFixture {
        let f = StoreFixture()
        for _ in 1...94 { f.record("search", micros: 1_000) }
        for _ in 1...6 { f.record("search", micros: 100_000) }
        #expect(f.writer.flush())
        f.clock.advance(seconds: 1)
        for _ in 1...100 { f.record("search", micros: 50_000) }
        #expect(f.writer.flush(final: true))
        f.writer.close()
        return f
    }

    @Test("a bucket of several rows takes its percentiles from their histograms summed, never from averaged p95s")
    func bucketsSumHistograms() throws {
        let f = twoSeconds()
        defer { f.remove() }
        let start = Date(timeIntervalSince1970: 1_800_000_000)  // the manual clock's wall start, a whole hour
        let now = start.addingTimeInterval(2)
        let range = DateInterval(start: start, end: now)
        let reader = try f.reader()
        let seconds = try reader.series(server: "test-server", range: range, now: now)
        #expect(seconds.table == "seconds" && seconds.resolutionSeconds == 1)
        #expect(seconds.points.map(\.calls) == [100, 100])
        #expect(abs(try #require(seconds.points[0].p95Ms) - 100) <= 1.1)
        #expect(abs(try #require(seconds.points[1].p95Ms) - 50) <= 0.6)

        let both = try reader.series(server: "test-server", range: range, step: 2, now: now)
        #expect(both.resolutionSeconds == 2 && both.table == "seconds")
        let point = try #require(both.points.first)
        #expect(both.points.count == 1 && point.calls == 200 && point.errors == 0)
        // Rank 190 of 200 falls among the 50 ms calls.
        #expect(abs(try #require(point.p95Ms) - 50) <= 0.6)
        #expect(abs(try #require(point.maxMs) - 100) <= 1.1)
        let mean: Double = (94.0 * 1 + 6.0 * 100 + 100.0 * 50) / 200
        let avg = try #require(point.avgMs)
        #expect(abs(avg - mean) < 0.01)
    }

    @Test("a step the seconds no longer cover is read from the minutes, and one of hours from the hours")
    func coarserTables() throws {
        let f = twoSeconds()
        defer { f.remove() }
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let now = start.addingTimeInterval(2 * 86_400)  // two days on: the seconds' hour has gone by
        let reader = try f.reader()
        let minutes = try reader.series(server: "test-server", range: DateInterval(start: start.addingTimeInterval(-60), end: now), step: 300, now: now)
        #expect(minutes.table == "minutes" && minutes.resolutionSeconds == 300)
        #expect(minutes.points.map(\.calls) == [200])
        #expect(abs(try #require(minutes.points[0].p95Ms) - 50) <= 0.6)
        let hours = try reader.series(server: "test-server", range: DateInterval(start: start.addingTimeInterval(-3_600), end: now), step: 3_600,
                                      now: now.addingTimeInterval(30 * 86_400))
        #expect(hours.table == "hours" && hours.points.map(\.calls) == [200])
        // Another server's name, or a target it never called, has no points.
        #expect(try reader.series(server: "other", range: DateInterval(start: start, end: now), now: now).points.isEmpty)
        #expect(try reader.series(server: "test-server", range: DateInterval(start: start, end: now),
                                  target: TargetKey(method: "tools/call", target: "fetch"), step: 60, now: now).points.isEmpty)
    }

    @Test("a report's targets carry p90 and p99.9 from the summed histograms")
    func reportPercentiles() throws {
        let f = twoSeconds()
        defer { f.remove() }
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let report = try #require(try f.reader().report(server: "test-server", since: start, until: start.addingTimeInterval(2),
                                                        now: start.addingTimeInterval(2)).first)
        #expect(abs(try #require(report.total.p90Ms) - 50) <= 0.6)
        #expect(abs(try #require(report.total.p999Ms) - 100) <= 1.1)
    }
}

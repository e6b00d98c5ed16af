import MCPWatchCore
import Testing
@testable import MCPWatchStore

@Suite("Sparse histogram")
struct SparseHistogramTests {
    @Test("the BLOB format reads back what was written")
    func roundTrip() throws {
        let h = SparseHistogram(cells: [(0, 1), (5, 300), (129, 2), (3_000, 1 << 40)])
        #expect(SparseHistogram(blob: h.blob) == h)
        #expect(SparseHistogram(blob: []) == SparseHistogram())
        #expect(SparseHistogram(blob: [0x80]) == nil)
    }

    @Test("summed histograms give the percentiles of all the calls, never an average of percentiles")
    func merge() throws {
        var fast = SparseHistogram(cells: [(LatencyCounts.index(micros: 1_000), 99)])
        let slow = SparseHistogram(cells: [(LatencyCounts.index(micros: 500_000), 1)])
        fast.add(slow)
        let p = fast.percentilesMs([50, 99, 100])
        #expect(abs(try #require(p[0]) - 1) < 0.02)
        #expect(abs(try #require(p[1]) - 1) < 0.02)
        #expect(abs(try #require(p[2]) - 500) < 5)
        var sum = HistogramSum()
        sum.add(blob: fast.blob)
        #expect(sum.percentilesMs([50, 99, 100]) == p)
    }
}

import Foundation
import Testing
@testable import MCPWatchBench

@Suite struct BenchResultTests {
    func result(ok: Int, timeouts: Int) throws -> BenchResult {
        var state = BenchState(configuration: try BenchConfiguration(mix: ToolMix(entries: [.init(tool: "echo")]), length: .calls(ok + timeouts)))
        state.begin(at: 1_000)
        var out: [UInt8] = []
        for id in 1...(ok + timeouts) {
            _ = state.startCall(intended: 2_000, into: &out)
            if id <= ok { state.complete(id: id, outcome: .ok, at: 50_000) }
        }
        _ = state.expire(at: 60_000_000_000)
        state.advance(to: 60_000_000_000)
        return state.result(startedAt: "2026-01-01T00:00:00Z", server: nil)
    }

    @Test func withoutAnsweredCallsLatencyIsLeftOut() throws {
        let none = try result(ok: 0, timeouts: 2)
        #expect(none.errors.timeout == 2 && none.answered == 0)
        let json = none.json()
        #expect(!json.contains("latency_us") && !json.contains("latency_ms"), "\(json)")
        #expect(none.table.contains("  latency      no answered calls") && !none.table.contains("p50"), "\(none.table)")
        // It still reads back.
        #expect(try JSONDecoder().decode(BenchResult.self, from: Data(json.utf8)) == none)
    }

    @Test func withAnsweredCallsLatencyIsThere() throws {
        let some = try result(ok: 1, timeouts: 1)
        #expect(some.json().contains(#""latency_us":{"#) && some.table.contains("p50"))
        #expect(try JSONDecoder().decode(BenchResult.self, from: Data(some.json().utf8)) == some)
    }

    @Test func ignoredCountsAreSingularForOne() throws {
        var one = try result(ok: 1, timeouts: 0)
        one.lateResponses = 1
        one.unexpectedLines = 1
        #expect(one.table.split(separator: "\n").contains("  ignored      1 late answer, 1 unexpected line"), "\(one.table)")
        one.unexpectedLines = 2
        #expect(one.table.split(separator: "\n").contains("  ignored      1 late answer, 2 unexpected lines"), "\(one.table)")
    }
}

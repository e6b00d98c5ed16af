import Testing
import MCPWatchCore
@testable import MCPWatchBench

@Suite struct BenchSpanTests {
    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)), ("10s", .seconds(10)), ("2m", .seconds(120)), ("1h", .seconds(3600)),
        ("1.5s", .milliseconds(1500)), ("250us", .microseconds(250)), ("250µs", .microseconds(250)), (" 3s ", .seconds(3)),
    ])
    func parsesDurations(text: String, expected: Duration) throws {
        #expect(try BenchSpan.parseDuration(text) == expected)
    }

    @Test(arguments: ["abc", "-1s", "0s", "s", "", "10 parsecs", "+5s", "1e400s", "5ns"])
    func rejectsMalformedDurations(text: String) {
        #expect(throws: WatchError.self) { try BenchSpan.parseDuration(text) }
    }

    // Issue 16: a bare number is seconds, as in every other duration option (it was refused as having no unit).
    @Test func aBareNumberIsSeconds() throws {
        #expect(try BenchSpan.parseDuration("10", option: "duration") == .seconds(10))
        #expect(try BenchSpan.parseDuration("0.5", option: "duration") == .milliseconds(500))
    }

    @Test func aMalformedDurationNamesItsOptionAndTheForms() {
        let error = #expect(throws: WatchError.self) { try BenchSpan.parseDuration("10 parsecs", option: "duration") }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message == "--duration `10 parsecs` is not a duration: write it like 500ms, 10s or 2m (units us, ms, s, m, h), or a number of seconds")
    }

    @Test(arguments: ["-1s", "0s", "-500ms", "0.0m"])
    func aDurationThatIsNotPositiveSaysSo(text: String) {
        let error = #expect(throws: WatchError.self) { try BenchSpan.parseDuration(text, option: "duration") }
        #expect(error?.message == "--duration must be above zero, not `\(text)`")
    }

    @Test func countsBelowOneNameTheirOption() {
        let mix = ToolMix(entries: [.init(tool: "echo")])
        let requests = #expect(throws: WatchError.self) { try BenchConfiguration(mix: mix, length: .calls(0)) }
        #expect(requests?.message == "--requests must be at least 1 call, not 0")
        let warmup = #expect(throws: WatchError.self) { try BenchConfiguration(mix: mix, warmup: .calls(-2)) }
        #expect(warmup?.message == "--warmup must be at least 1 call, not -2")
    }

    @Test func warmupTakesACountOrADuration() throws {
        #expect(try BenchSpan.parse("200") == .calls(200))
        #expect(try BenchSpan.parse("2s") == .duration(.seconds(2)))
        #expect(try BenchSpan.parse("750ms") == .duration(.milliseconds(750)))
        #expect(throws: WatchError.self) { try BenchSpan.parse("0") }
        #expect(throws: WatchError.self) { try BenchSpan.parse("two") }
    }

    @Test func countsArePositiveWholeNumbers() throws {
        #expect(try BenchSpan.parseCount("5000") == 5000)
        for bad in ["0", "-3", "1.5", "many"] {
            #expect(throws: WatchError.self) { try BenchSpan.parseCount(bad) }
        }
    }

    @Test func describesDurationsAsWritten() {
        #expect(BenchSpan.duration(.milliseconds(500)).description == "500ms")
        #expect(BenchSpan.duration(.seconds(120)).description == "2m")
        #expect(BenchSpan.calls(7).description == "7 calls")
    }
}

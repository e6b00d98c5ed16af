import MCPWatchCore
import Testing

/// The one duration syntax of every option and configuration key.
@Suite struct DurationParsingTests {
    @Test(arguments: [
        ("250ms", Duration.milliseconds(250)), ("10s", .seconds(10)), ("5m", .seconds(300)), ("1h", .seconds(3_600)),
        ("1.5s", .milliseconds(1_500)), ("250us", .microseconds(250)), ("250µs", .microseconds(250)), ("0s", .zero),
        ("10", .seconds(10)), ("0.5", .milliseconds(500)), ("0.000001", .microseconds(1)), (" 3s ", .seconds(3)),
        ("2M", .seconds(120)), ("100MS", .milliseconds(100)),
    ])
    func parses(text: String, expected: Duration) throws {
        #expect(try Duration.parse(text) == expected)
    }

    @Test(arguments: ["", "soon", "s", "10 parsecs", "+5s", "1e3s", "inf", "nan", "5ns", "1..5s", ".", "10 s"])
    func refusesWhatIsNotADuration(text: String) {
        let error = #expect(throws: WatchError.self) { try Duration.parse(text) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("250ms, 10s, 5m or 1h") == true, "names the accepted forms: \(error?.message ?? "")")
    }

    @Test func namesTheBadValue() {
        let error = #expect(throws: WatchError.self) { try Duration.parse("10 parsecs") }
        #expect(error?.message == "`10 parsecs` is not a duration: write it like 250ms, 10s, 5m or 1h (units us, ms, s, m, h), or a bare number of seconds")
    }

    @Test(arguments: ["-1s", "-500ms", "-3"])
    func aNegativeDurationSaysSo(text: String) {
        let error = #expect(throws: WatchError.self) { try Duration.parse(text) }
        #expect(error?.message.hasPrefix("`\(text)` is negative") == true, "\(error?.message ?? "")")
    }

    @Test func aDurationTooLongForNanosecondsIsRefused() {
        let error = #expect(throws: WatchError.self) { try Duration.parse("99999999999h") }
        #expect(error?.message.contains("too long") == true)
    }

    @Test(arguments: [
        (Duration.seconds(5), "5s"), (.milliseconds(500), "500ms"), (.seconds(120), "2m"), (.seconds(3_600), "1h"),
        (.milliseconds(1_500), "1.5s"), (.microseconds(50), "50us"), (.zero, "0s"), (.seconds(90), "90s"),
    ])
    func writesItBackAsItIsRead(duration: Duration, text: String) throws {
        #expect(duration.unitsDescription == text)
        #expect(try Duration.parse(text) == duration)
    }

    @Test func theConfigurationReadsTheSameSyntax() {
        #expect(ConfigValueParsing.duration("30") == .seconds(30))
        #expect(ConfigValueParsing.duration("250ms") == .milliseconds(250))
        #expect(ConfigValueParsing.duration("10 parsecs") == nil)
    }
}

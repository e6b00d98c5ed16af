import MCPWatchCore

/// How long a phase of a run lasts: a wall-clock duration or a number of calls.
///
/// `--duration 10s` and `--requests 5000` give the measured phase; `--warmup` takes either form (`2s` or `200`).
public enum BenchSpan: Sendable, Equatable, CustomStringConvertible {
    /// Lasts this long.
    case duration(Duration)
    /// Lasts this many calls.
    case calls(Int)

    /// Parses a duration above zero, as every option writes it (``Duration/init(parsing:)``): `250us`, `500ms`, `10s`,
    /// `1.5s`, `2m`, `1h`, or a bare number of seconds.
    /// - Throws: ``WatchError`` with code `invalidArgument`, naming the option and the accepted forms.
    public static func parseDuration(_ text: String, option: String = "duration") throws(WatchError) -> Duration {
        let duration: Duration
        do {
            duration = try Duration.parse(text)
        } catch {
            if text.trimmingWhitespace().hasPrefix("-"), (try? Duration.parse(String(text.trimmingWhitespace().dropFirst()))) != nil {
                throw WatchError(.invalidArgument, "--\(option) must be above zero, not `\(text)`")
            }
            throw WatchError(.invalidArgument, "--\(option) `\(text)` is not a duration: write it like 500ms, 10s or 2m (units us, ms, s, m, h), or a number of seconds")
        }
        guard duration > .zero else { throw WatchError(.invalidArgument, "--\(option) must be above zero, not `\(text)`") }
        return duration
    }

    /// Parses a call count (a positive integer).
    /// - Throws: ``WatchError`` with code `invalidArgument`.
    public static func parseCount(_ text: String, option: String = "requests") throws(WatchError) -> Int {
        guard let count = Int(text.trimmingWhitespace()), count > 0 else {
            throw WatchError(.invalidArgument, "--\(option) `\(text)` is not a positive whole number of calls")
        }
        return count
    }

    /// Parses either form: a bare whole number is a count of calls, anything else must be a duration.
    /// - Throws: ``WatchError`` with code `invalidArgument`.
    public static func parse(_ text: String, option: String = "warmup") throws(WatchError) -> BenchSpan {
        let trimmed = text.trimmingWhitespace()
        if !trimmed.isEmpty, trimmed.allSatisfy(\.isASCIIDigit) {
            return .calls(try parseCount(String(trimmed), option: option))
        }
        do {
            return .duration(try parseDuration(String(trimmed), option: option))
        } catch {
            throw WatchError(.invalidArgument, "--\(option) `\(text)` is neither a number of calls (200) nor a duration (500ms, 10s, 2m)")
        }
    }

    var isCalls: Bool { if case .calls = self { true } else { false } }

    public var description: String {
        switch self {
        case .duration(let duration): duration.shortDescription
        case .calls(let count): "\(count) calls"
        }
    }
}

extension Duration {
    /// Nanoseconds, saturating; durations here are far below the 292 years where that matters.
    var totalNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : whole &+ UInt64(attoseconds / 1_000_000_000)
    }

    /// `500ms`, `10s`, `2m`: the shortest exact form, as a person would write it.
    var shortDescription: String {
        let ns = totalNanoseconds
        for (unit, size) in [("h", UInt64(3_600_000_000_000)), ("m", 60_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)]
        where ns >= size && ns % size == 0 {
            return "\(ns / size)\(unit)"
        }
        return ns >= 1_000_000_000 ? "\(Double(ns) / 1e9)s" : "\(ns)ns"
    }
}

extension String {
    func trimmingWhitespace() -> Substring {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return slice
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

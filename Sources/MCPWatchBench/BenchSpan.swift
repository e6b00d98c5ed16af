/// How long a phase of a run lasts: a wall-clock duration or a number of calls.
///
/// `--duration 10s` and `--requests 5000` give the measured phase; `--warmup` takes either form (`2s` or `200`).
public enum BenchSpan: Sendable, Equatable, CustomStringConvertible {
    /// Lasts this long.
    case duration(Duration)
    /// Lasts this many calls.
    case calls(Int)

    /// Parses a duration with a unit: `250us`, `500ms`, `10s`, `1.5s`, `2m`, `1h`.
    /// - Throws: ``BenchError`` with code `invalidArgument`, naming the accepted forms.
    public static func parseDuration(_ text: String, option: String = "duration") throws(BenchError) -> Duration {
        let trimmed = text.trimmingWhitespace()
        let units: [(suffix: String, nanoseconds: Double)] = [
            ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
        ]
        // Longest suffix first, so that `ms` is not read as `m` + junk.
        for unit in units.sorted(by: { $0.suffix.count > $1.suffix.count }) where trimmed.hasSuffix(unit.suffix) {
            let number = trimmed.dropLast(unit.suffix.count)
            guard let value = Double(number), value.isFinite, value > 0, !number.hasPrefix("+") else { break }
            let nanoseconds = value * unit.nanoseconds
            guard nanoseconds >= 1, nanoseconds < 1e18 else { break }
            return .nanoseconds(Int64(nanoseconds.rounded()))
        }
        for unit in units where trimmed.hasSuffix(unit.suffix) {
            if let value = Double(trimmed.dropLast(unit.suffix.count)), value <= 0 {
                throw BenchError(.invalidArgument, "--\(option) must be above zero, not `\(text)`")
            }
        }
        if let _ = Double(trimmed) {
            throw BenchError(.invalidArgument, "--\(option) `\(text)` has no unit: write it like 500ms, 10s or 2m")
        }
        throw BenchError(.invalidArgument, "--\(option) `\(text)` is not a duration: write it like 500ms, 10s or 2m (units us, ms, s, m, h)")
    }

    /// Parses a call count (a positive integer).
    /// - Throws: ``BenchError`` with code `invalidArgument`.
    public static func parseCount(_ text: String, option: String = "requests") throws(BenchError) -> Int {
        guard let count = Int(text.trimmingWhitespace()), count > 0 else {
            throw BenchError(.invalidArgument, "--\(option) `\(text)` is not a positive whole number of calls")
        }
        return count
    }

    /// Parses either form: a bare whole number is a count of calls, anything else must be a duration.
    /// - Throws: ``BenchError`` with code `invalidArgument`.
    public static func parse(_ text: String, option: String = "warmup") throws(BenchError) -> BenchSpan {
        let trimmed = text.trimmingWhitespace()
        if !trimmed.isEmpty, trimmed.allSatisfy(\.isASCIIDigit) {
            return .calls(try parseCount(String(trimmed), option: option))
        }
        do {
            return .duration(try parseDuration(String(trimmed), option: option))
        } catch {
            throw BenchError(.invalidArgument, "--\(option) `\(text)` is neither a number of calls (200) nor a duration (500ms, 10s, 2m)")
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

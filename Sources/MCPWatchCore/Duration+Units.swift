extension Duration {
    /// The duration in seconds, as a `Double`.
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }

    /// The duration in whole nanoseconds (saturating at `Int64.max`).
    public var inNanoseconds: Int64 {
        let (whole, overflow) = components.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : whole &+ components.attoseconds / 1_000_000_000
    }

    /// How a duration is written, for messages: the one syntax of every option and configuration key.
    public static let syntax = "250ms, 10s, 5m or 1h (units us, ms, s, m, h), or a bare number of seconds"

    /// Parses a duration as every option and configuration key writes it: `250ms`, `10s`, `1.5s`, `5m`, `1h`,
    /// `250us`, or a bare number of seconds (`30`, `0.5`). Units are case-insensitive; the value is 0 or more.
    ///
    /// A static function rather than `init(parsing:)`: an initializer on `Duration` makes the compiler load the Glibc
    /// overlay's `Duration.init(_: timespec)`, whose `timespec` then shadows Glibc's in `SystemWatchClock.now()`
    /// (an `@inlinable` function) and breaks the module's build (Swift 6.3).
    /// - Throws: ``WatchError`` with code `invalidArgument`, saying what was expected.
    public static func parse(_ text: String) throws(WatchError) -> Duration {
        let trimmed = text.trimmingASCIISpaces()
        guard !trimmed.isEmpty else {
            throw WatchError(.invalidArgument, "a duration is missing: write it like \(Self.syntax)")
        }
        let lowered = trimmed.lowercased()
        // Longest suffix first, so that `ms` is not read as `m` followed by junk.
        let units: [(suffix: String, nanoseconds: Double)] = [
            ("ms", 1e6), ("us", 1e3), ("µs", 1e3), ("h", 3_600e9), ("m", 60e9), ("s", 1e9),
        ]
        var number = Substring(lowered)
        var scale = 1e9
        if let unit = units.first(where: { lowered.hasSuffix($0.suffix) }) {
            number = number.dropLast(unit.suffix.count)
            scale = unit.nanoseconds
        }
        if number.hasPrefix("-"), Self.isPlainNumber(number.dropFirst()) {
            throw WatchError(.invalidArgument, "`\(trimmed)` is negative: a duration is 0 or more, written like \(Self.syntax)")
        }
        guard Self.isPlainNumber(number), let value = Double(number) else {
            throw WatchError(.invalidArgument, "`\(trimmed)` is not a duration: write it like \(Self.syntax)")
        }
        let nanoseconds = (value * scale).rounded()
        guard nanoseconds < 9e18 else {
            throw WatchError(.invalidArgument, "`\(trimmed)` is too long a duration (at most about 290 years)")
        }
        return .nanoseconds(Int64(nanoseconds))
    }

    /// The duration as people write it, and as ``parse(_:)`` reads it back: `5s`, `500ms`, `2m`, `1h`, `1.5s`.
    public var unitsDescription: String {
        if self < .zero { return "-" + (Duration.zero - self).unitsDescription }
        let seconds = inSeconds
        if seconds >= 3_600 && seconds.truncatingRemainder(dividingBy: 3_600) == 0 { return "\(Int(seconds / 3_600))h" }
        if seconds >= 60 && seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60))m" }
        if seconds >= 1 || seconds == 0 { return seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(seconds)s" }
        let ms = seconds * 1_000
        if ms == ms.rounded() { return "\(Int(ms))ms" }
        let nanos = inNanoseconds
        return nanos % 1_000 == 0 ? "\(nanos / 1_000)us" : "\(ms)ms"
    }

    /// Digits with at most one decimal point, and at least one digit: no sign, no exponent, no `inf`.
    private static func isPlainNumber(_ text: Substring) -> Bool {
        var digits = 0
        var points = 0
        for character in text.utf8 {
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits += 1
            case UInt8(ascii: "."): points += 1
            default: return false
            }
        }
        return digits > 0 && points <= 1
    }
}

extension String {
    /// The text without leading and trailing spaces and tabs (no Foundation needed).
    func trimmingASCIISpaces() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}

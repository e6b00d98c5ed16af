/// A size in bytes, written as every option and configuration key writes it: `1048576`, `64KiB`, `64MiB`, `1GiB`
/// (also `K`, `M`, `G`, `KB`, `MB`, `GB`, all powers of 1024).
public struct ByteSize: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// How a size is written, for messages.
    public static let syntax = "64KiB, 64MiB or 1GiB (units B, KiB, MiB, GiB, powers of 1024), or a bare number of bytes"

    /// The size in bytes.
    public var bytes: Int

    /// A size of this many bytes.
    public init(bytes: Int) { self.bytes = bytes }

    /// Parses a size: a whole number above zero, then an optional unit (case-insensitive).
    /// - Throws: ``WatchError`` with code `invalidArgument`, saying what was expected.
    public init(parsing text: String) throws(WatchError) {
        let trimmed = text.trimmingASCIISpaces()
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        let unit = trimmed.dropFirst(digits.count).lowercased().trimmingASCIISpaces()
        let multiplier: Int
        switch unit {
        case "", "b": multiplier = 1
        case "k", "kb", "kib": multiplier = 1 << 10
        case "m", "mb", "mib": multiplier = 1 << 20
        case "g", "gb", "gib": multiplier = 1 << 30
        default: throw WatchError(.invalidArgument, "`\(trimmed)` is not a size: write it like \(Self.syntax)")
        }
        guard let value = Int(digits) else {
            if digits.isEmpty { throw WatchError(.invalidArgument, "`\(trimmed)` is not a size: write it like \(Self.syntax)") }
            throw WatchError(.invalidArgument, "`\(trimmed)` is too large a size")
        }
        guard value > 0 else { throw WatchError(.invalidArgument, "`\(trimmed)` is not a size above zero: write it like \(Self.syntax)") }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { throw WatchError(.invalidArgument, "`\(trimmed)` is too large a size") }
        self.bytes = bytes
    }

    /// The size as people write it, and as ``init(parsing:)`` reads it back: `64MiB`, `1GiB`, `1000`.
    public var description: String {
        for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)] where bytes > 0 && bytes % (1 << shift) == 0 {
            return "\(bytes >> shift)\(unit)"
        }
        return "\(bytes)"
    }

    public static func < (lhs: ByteSize, rhs: ByteSize) -> Bool { lhs.bytes < rhs.bytes }
}

/// A replacement of one byte range of a text: what `wrap` and `unwrap` do to a client's configuration, so that every
/// byte outside the ranges they change stays as it was.
public struct TextEdit: Sendable, Equatable {
    /// The bytes replaced (empty for an insertion).
    public let range: Range<Int>
    /// What goes in their place.
    public let replacement: [UInt8]

    /// Creates an edit.
    public init(_ range: Range<Int>, _ replacement: [UInt8]) {
        self.range = range
        self.replacement = replacement
    }

    /// Creates an edit with a replacement given as text.
    public init(_ range: Range<Int>, _ replacement: String) {
        self.init(range, Array(replacement.utf8))
    }

    /// The text with the edits made. The edits must not overlap; their order does not matter.
    public static func apply(_ edits: [TextEdit], to bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + edits.reduce(0) { $0 + $1.replacement.count })
        var position = 0
        for edit in edits.sorted(by: { $0.range.lowerBound < $1.range.lowerBound }) {
            precondition(edit.range.lowerBound >= position, "overlapping edits")
            out.append(contentsOf: bytes[position..<edit.range.lowerBound])
            out.append(contentsOf: edit.replacement)
            position = edit.range.upperBound
        }
        out.append(contentsOf: bytes[position...])
        return out
    }
}

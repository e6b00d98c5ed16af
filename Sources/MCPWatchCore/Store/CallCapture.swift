/// What `store.capture` keeps of a call for the call log: raw JSON text cut out of the relayed frame (never decoded
/// nor re-encoded), truncated to `store.capture_bytes` on a UTF-8 boundary.
public enum CallCapture {
    private static let params = Array("params".utf8), arguments = Array("arguments".utf8)
    private static let result = Array("result".utf8), error = Array("error".utf8)

    /// A request's `params.arguments` (tools and prompts), else its whole `params`; nil when it has none.
    public static func arguments(of frame: UnsafeRawBufferPointer, limit: Int) -> String? {
        guard let range = JSONValueLocator.range(of: [params, arguments], in: frame)
            ?? JSONValueLocator.range(of: [params], in: frame) else { return nil }
        return text(frame, range, limit: limit)
    }

    /// A response's `result`, else its `error`; nil when it has neither.
    public static func result(of frame: UnsafeRawBufferPointer, limit: Int) -> String? {
        guard let range = JSONValueLocator.range(of: [result], in: frame)
            ?? JSONValueLocator.range(of: [error], in: frame) else { return nil }
        return text(frame, range, limit: limit)
    }

    /// The bytes of `range`, at most `limit` of them, cut before a UTF-8 sequence that would not fit whole.
    static func text(_ frame: UnsafeRawBufferPointer, _ range: Range<Int>, limit: Int) -> String {
        var end = range.lowerBound + min(range.count, max(0, limit))
        if end < range.upperBound {
            // Back off over continuation bytes (10xxxxxx) to the start of the sequence that was cut.
            while end > range.lowerBound, frame[end] & 0xC0 == 0x80 { end -= 1 }
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: frame[range.lowerBound..<end]), as: UTF8.self)
    }
}

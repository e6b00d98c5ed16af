import Foundation

/// Splits a byte stream into newline-delimited frames (the MCP stdio transport), without copying complete lines.
///
/// Each frame is handed out with its trailing `\n`, exactly as received, so the relay forwards the same bytes.
/// A line longer than `maxLineBytes` is not handed out: its first bytes are kept for inspection (to answer the
/// sender if it was a request) and the rest is discarded up to the next newline, so memory stays bounded.
public struct LineFramer: Sendable {
    /// One framing result.
    public enum Event {
        /// A complete line, including its `\n`. The buffer is valid only during the callback.
        case line(UnsafeRawBufferPointer)
        /// A line over the limit was dropped; `prefix` holds its first bytes, `length` its full length.
        case oversized(prefix: UnsafeRawBufferPointer, length: Int)
    }

    /// The longest line relayed, in bytes, newline included.
    public let maxLineBytes: Int
    /// How much of an oversized line is kept to read its id and method.
    public let oversizedPrefixBytes: Int

    private var pending: [UInt8] = []
    private var discarding = false
    private var discardedLength = 0

    /// Creates a framer.
    /// - Parameters:
    ///   - maxLineBytes: the longest line relayed.
    ///   - oversizedPrefixBytes: how much of an oversized line to keep for inspection.
    public init(maxLineBytes: Int = 64 << 20, oversizedPrefixBytes: Int = 64 << 10) {
        self.maxLineBytes = max(1, maxLineBytes)
        self.oversizedPrefixBytes = min(oversizedPrefixBytes, self.maxLineBytes)
    }

    /// Bytes of an unfinished line held back, waiting for its newline.
    public var bufferedBytes: Int { pending.count }

    /// Feeds bytes; calls `body` for each complete line or dropped oversized line, in order.
    public mutating func append(_ chunk: UnsafeRawBufferPointer, _ body: (Event) throws -> Void) rethrows {
        guard let base = chunk.baseAddress, chunk.count > 0 else { return }
        var offset = 0
        let end = chunk.count
        while offset < end {
            let remaining = end - offset
            let newline = memchr(base + offset, 0x0A, remaining)
            let lineEnd = newline.map { UnsafeRawPointer($0) - base + 1 }
            let take = (lineEnd ?? end) - offset
            if discarding {
                discardedLength += take
                if lineEnd != nil {
                    try emitOversized(body)
                }
                offset += take
                continue
            }
            if pending.count + take > maxLineBytes {
                // Keep only the prefix; drop the rest of this line.
                let room = max(0, oversizedPrefixBytes - pending.count)
                if room > 0 { pending.append(contentsOf: UnsafeRawBufferPointer(start: base + offset, count: min(room, take))) }
                discarding = true
                discardedLength = pending.count + max(0, take - room)
                if pending.count > oversizedPrefixBytes { pending.removeLast(pending.count - oversizedPrefixBytes) }
                if lineEnd != nil { try emitOversized(body) }
                offset += take
                continue
            }
            if let _ = lineEnd {
                if pending.isEmpty {
                    try body(.line(UnsafeRawBufferPointer(start: base + offset, count: take)))
                } else {
                    pending.append(contentsOf: UnsafeRawBufferPointer(start: base + offset, count: take))
                    try pending.withUnsafeBytes { try body(.line($0)) }
                    pending.removeAll(keepingCapacity: pending.capacity <= 1 << 20)
                }
            } else {
                pending.append(contentsOf: UnsafeRawBufferPointer(start: base + offset, count: take))
            }
            offset += take
        }
    }

    /// At end of stream: a last line without a newline, if any, handed out as it is.
    public mutating func finish(_ body: (Event) throws -> Void) rethrows {
        if discarding {
            try emitOversized(body)
        } else if !pending.isEmpty {
            try pending.withUnsafeBytes { try body(.line($0)) }
            pending.removeAll()
        }
    }

    private mutating func emitOversized(_ body: (Event) throws -> Void) rethrows {
        let length = discardedLength
        discarding = false
        discardedLength = 0
        try pending.withUnsafeBytes { try body(.oversized(prefix: $0, length: length)) }
        pending.removeAll(keepingCapacity: false)
    }
}

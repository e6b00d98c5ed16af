/// Turns one JSON-RPC message from an HTTP body or an SSE event into one stdio line.
///
/// The stdio transport forbids raw newlines inside a message, but a JSON text may hold whitespace (newlines too)
/// between its tokens, and an SSE event's data joins its `data:` lines with LF. The bytes are never decoded and
/// re-encoded: leading and trailing whitespace is dropped, and each CR or LF between tokens (outside strings)
/// becomes a space, which JSON treats the same. Strings cannot hold raw CR or LF (JSON escapes them), so the
/// bytes of every string stay as they are.
public enum JSONLine {
    /// The message as one line, ending with `\n`; nil when it is only whitespace.
    public static func line(_ bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        var start = 0
        var end = bytes.count
        while start < end, isWhitespace(bytes[start]) { start += 1 }
        while end > start, isWhitespace(bytes[end - 1]) { end -= 1 }
        guard start < end else { return nil }
        var out = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
        out.reserveCapacity(out.count + 1)
        if out.contains(0x0A) || out.contains(0x0D) {
            var inString = false
            var escaped = false
            for i in out.indices {
                let byte = out[i]
                if inString {
                    if escaped {
                        escaped = false
                    } else if byte == 0x5C {
                        escaped = true
                    } else if byte == 0x22 {
                        inString = false
                    }
                } else if byte == 0x22 {
                    inString = true
                } else if byte == 0x0A || byte == 0x0D {
                    out[i] = 0x20
                }
            }
        }
        out.append(0x0A)
        return out
    }

    /// Convenience for byte arrays.
    public static func line(_ bytes: [UInt8]) -> [UInt8]? { bytes.withUnsafeBytes { line($0) } }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}

import Foundation

/// Finds where a value sits in a JSON text, by a path of object keys, without decoding anything.
///
/// The bench server uses it to echo `params.arguments.text` back as the raw JSON string it received: no unescaping,
/// no re-escaping, no allocation; the stdio bridge uses it to find and rewrite request ids and progress tokens. It is
/// made for frames that ``MessageInspector`` has already validated: it trusts the structure and only checks bounds, so malformed input gives nil (or a meaningless range),
/// never a crash. Keys are compared byte for byte, so a key written with escapes (`"te\u0078t"`) does not match;
/// when a key repeats, the first one counts.
public enum JSONValueLocator {
    /// The byte range of the value at `path` (its raw JSON text, quotes included for a string), or nil when a step
    /// of the path is missing or not an object.
    /// - Parameters:
    ///   - path: object keys from the top, as UTF-8 bytes.
    ///   - bytes: one JSON text.
    public static func range(of path: [[UInt8]], in bytes: UnsafeRawBufferPointer) -> Range<Int>? {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        var cursor = Cursor(base: base, count: bytes.count)
        cursor.skipWhitespace()
        for key in path {
            guard cursor.peek() == UInt8(ascii: "{") else { return nil }
            cursor.position += 1
            var found = false
            while !found {
                cursor.skipWhitespace()
                guard cursor.peek() == UInt8(ascii: "\"") else { return nil }
                guard let name = cursor.skipString() else { return nil }
                cursor.skipWhitespace()
                guard cursor.peek() == UInt8(ascii: ":") else { return nil }
                cursor.position += 1
                cursor.skipWhitespace()
                if cursor.equals(name.lowerBound + 1..<name.upperBound - 1, key) {
                    found = true
                } else {
                    guard cursor.skipValue() else { return nil }
                    cursor.skipWhitespace()
                    guard cursor.peek() == UInt8(ascii: ",") else { return nil }
                    cursor.position += 1
                }
            }
        }
        let start = cursor.position
        guard cursor.skipValue() else { return nil }
        return start..<cursor.position
    }

    /// Where a message's top-level `id` and `method` values sit, found in one pass over its keys (values skipped, not
    /// read): enough to route a message without inspecting it. Nil when the text is not an object.
    public static func idAndMethod(in bytes: UnsafeRawBufferPointer) -> (id: Range<Int>?, method: Range<Int>?)? {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        var cursor = Cursor(base: base, count: bytes.count)
        cursor.skipWhitespace()
        guard cursor.peek() == UInt8(ascii: "{") else { return nil }
        cursor.position += 1
        var id: Range<Int>?
        var method: Range<Int>?
        while true {
            cursor.skipWhitespace()
            guard cursor.peek() == UInt8(ascii: "\""), let name = cursor.skipString() else { break }
            cursor.skipWhitespace()
            guard cursor.peek() == UInt8(ascii: ":") else { break }
            cursor.position += 1
            cursor.skipWhitespace()
            let start = cursor.position
            guard cursor.skipValue() else { break }
            let key = name.lowerBound + 1..<name.upperBound - 1
            if id == nil && cursor.equals(key, idKey) { id = start..<cursor.position }
            if method == nil && cursor.equals(key, methodKey) { method = start..<cursor.position }
            if id != nil && method != nil { break }
            cursor.skipWhitespace()
            guard cursor.peek() == UInt8(ascii: ",") else { break }
            cursor.position += 1
        }
        return (id, method)
    }

    /// The byte ranges of a JSON array's elements (a batch), or nil when the text is not an array.
    public static func elementRanges(in bytes: UnsafeRawBufferPointer) -> [Range<Int>]? {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        var cursor = Cursor(base: base, count: bytes.count)
        cursor.skipWhitespace()
        guard cursor.peek() == UInt8(ascii: "[") else { return nil }
        cursor.position += 1
        var ranges: [Range<Int>] = []
        cursor.skipWhitespace()
        if cursor.peek() == UInt8(ascii: "]") { return ranges }
        while true {
            cursor.skipWhitespace()
            let start = cursor.position
            guard cursor.skipValue() else { return nil }
            ranges.append(start..<cursor.position)
            cursor.skipWhitespace()
            guard cursor.peek() == UInt8(ascii: ",") else { break }
            cursor.position += 1
        }
        return cursor.peek() == UInt8(ascii: "]") ? ranges : nil
    }

    /// The bytes with `range` replaced by `replacement` (a rewritten id or token), and a newline when asked.
    public static func replacing(_ range: Range<Int>, in bytes: UnsafeRawBufferPointer, with replacement: some Collection<UInt8>,
                                 newline: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count - range.count + replacement.count + 1)
        out.append(contentsOf: bytes[..<range.lowerBound])
        out.append(contentsOf: replacement)
        out.append(contentsOf: bytes[range.upperBound...])
        if newline { out.append(0x0A) }
        return out
    }

    private static let idKey = Array("id".utf8)
    private static let methodKey = Array("method".utf8)

    /// The raw JSON text of the value at `path` in `text`, or nil (for tests and tools).
    public static func rawValue(at path: [String], in text: String) -> String? {
        let keys = path.map { Array($0.utf8) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { buffer in
            range(of: keys, in: buffer).map { String(decoding: buffer[$0], as: UTF8.self) }
        }
    }

    /// A bounds-checked position in the bytes; `peek` past the end reads as 0, which matches nothing.
    private struct Cursor {
        let base: UnsafePointer<UInt8>
        let count: Int
        var position = 0

        init(base: UnsafePointer<UInt8>, count: Int) {
            self.base = base
            self.count = count
        }

        @inline(__always) func peek() -> UInt8 { position < count ? base[position] : 0 }

        @inline(__always) mutating func skipWhitespace() {
            while position < count {
                let b = base[position]
                guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
                position += 1
            }
        }

        func equals(_ range: Range<Int>, _ key: [UInt8]) -> Bool {
            guard range.count == key.count else { return false }
            guard !key.isEmpty else { return true }
            return key.withUnsafeBufferPointer { memcmp(base + range.lowerBound, $0.baseAddress!, key.count) == 0 }
        }

        /// Skips a string starting at its opening quote; returns its range, quotes included.
        mutating func skipString() -> Range<Int>? {
            let start = position
            position += 1
            while position < count {
                let b = base[position]
                if b == UInt8(ascii: "\"") {
                    position += 1
                    return start..<position
                }
                position += b == UInt8(ascii: "\\") ? 2 : 1
            }
            return nil
        }

        /// Skips one value of any kind, nested containers included, without recursion.
        mutating func skipValue() -> Bool {
            switch peek() {
            case UInt8(ascii: "\""):
                return skipString() != nil
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while position < count {
                    let b = base[position]
                    switch b {
                    case UInt8(ascii: "\""):
                        guard skipString() != nil else { return false }
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["):
                        depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 {
                            position += 1
                            return true
                        }
                    default:
                        break
                    }
                    position += 1
                }
                return false
            case 0:
                return false
            default:
                // A number or a literal: runs up to the next delimiter.
                let start = position
                while position < count {
                    let b = base[position]
                    if b == UInt8(ascii: ",") || b == UInt8(ascii: "}") || b == UInt8(ascii: "]") || b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { break }
                    position += 1
                }
                return position > start
            }
        }
    }
}

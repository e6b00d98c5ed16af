import Foundation

/// One canonical text for JSON values that mean the same: object keys sorted (by their UTF-8 bytes, after
/// unescaping; a repeated key keeps its last value, as JavaScript and Python read it), no insignificant whitespace,
/// strings with one escaping (``JSONStringLiteral``'s: only `"`, `\`, and control characters escaped, `\u00e9` and
/// `é` alike), numbers in one form (an integer literal as written, without a leading `-` on zero; any other number
/// as the shortest text of its IEEE double, so `1.0`, `1e0` and `1` agree).
///
/// The response cache keys requests by it, so two calls with the same arguments written differently share an entry.
/// It never claims two different values equal beyond what a double-reading server would (`1.0` and `1`).
public enum CanonicalJSON {
    /// The canonical text of a JSON text, or nil when it is not valid JSON.
    public static func canonical(_ text: String) -> String? {
        canonical(Array(text.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The canonical bytes of a JSON text, or nil when it is not valid JSON.
    /// - Parameter droppingTopLevelKeys: keys of a top-level object to leave out (`_meta`).
    public static func canonical(_ bytes: [UInt8], droppingTopLevelKeys dropped: Set<String> = []) -> [UInt8]? {
        bytes.withUnsafeBufferPointer { canonical($0, droppingTopLevelKeys: dropped) }
    }

    /// The canonical bytes of a JSON text in a buffer, or nil when it is not valid JSON.
    public static func canonical(_ bytes: UnsafeBufferPointer<UInt8>, droppingTopLevelKeys dropped: Set<String> = []) -> [UInt8]? {
        var parser = Parser(bytes: bytes)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        let droppedBytes = Set(dropped.map { Array($0.utf8) })
        guard parser.value(into: &out, dropping: droppedBytes), parser.atEnd() else { return nil }
        return out
    }

    /// The decoded text of a JSON string value (quotes included in `bytes`), or nil when it is not one.
    static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        // The common case, a string without escapes: its bytes are its text (the relay has checked the UTF-8).
        if bytes.count >= 2, bytes[0] == UInt8(ascii: "\""), bytes[bytes.count - 1] == UInt8(ascii: "\""),
           !bytes.dropFirst().dropLast().contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 < 0x20 }) {
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[1..<bytes.count - 1]), as: UTF8.self)
        }
        var parser = Parser(bytes: bytes)
        var out: [UInt8] = []
        guard parser.peekSkippingWhitespace() == UInt8(ascii: "\""), parser.value(into: &out, dropping: []), parser.atEnd() else { return nil }
        // The canonical string is a JSON literal with only ", \ and controls escaped: JSONSerialization reads it back.
        return (try? JSONSerialization.jsonObject(with: Data(out), options: [.fragmentsAllowed])) as? String
    }

    struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0
        var depth = 0
        static let maxDepth = 512

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func skipWhitespace() {
            while position < bytes.count {
                let b = bytes[position]
                guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
                position += 1
            }
        }

        mutating func peekSkippingWhitespace() -> UInt8 {
            skipWhitespace()
            return position < bytes.count ? bytes[position] : 0
        }

        mutating func atEnd() -> Bool {
            skipWhitespace()
            return position == bytes.count
        }

        /// Parses one value and appends its canonical text. `dropping` applies to this value's keys only.
        mutating func value(into out: inout [UInt8], dropping: Set<[UInt8]>) -> Bool {
            switch peekSkippingWhitespace() {
            case UInt8(ascii: "{"): return object(into: &out, dropping: dropping)
            case UInt8(ascii: "["): return array(into: &out)
            case UInt8(ascii: "\""): return string(into: &out)
            case UInt8(ascii: "t"): return literal("true", into: &out)
            case UInt8(ascii: "f"): return literal("false", into: &out)
            case UInt8(ascii: "n"): return literal("null", into: &out)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number(into: &out)
            default: return false
            }
        }

        private mutating func literal(_ word: StaticString, into out: inout [UInt8]) -> Bool {
            let n = word.utf8CodeUnitCount
            guard position + n <= bytes.count, memcmp(bytes.baseAddress! + position, word.utf8Start, n) == 0 else { return false }
            position += n
            out.append(contentsOf: UnsafeBufferPointer(start: word.utf8Start, count: n))
            return true
        }

        private mutating func object(into out: inout [UInt8], dropping: Set<[UInt8]>) -> Bool {
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maxDepth else { return false }
            position += 1
            var members: [(key: [UInt8], value: [UInt8])] = []
            if peekSkippingWhitespace() == UInt8(ascii: "}") {
                position += 1
            } else {
                while true {
                    guard peekSkippingWhitespace() == UInt8(ascii: "\"") else { return false }
                    var key: [UInt8] = []
                    guard string(into: &key) else { return false }
                    guard peekSkippingWhitespace() == UInt8(ascii: ":") else { return false }
                    position += 1
                    var value: [UInt8] = []
                    guard self.value(into: &value, dropping: []) else { return false }
                    members.append((key, value))
                    let next = peekSkippingWhitespace()
                    position += 1
                    if next == UInt8(ascii: "}") { break }
                    guard next == UInt8(ascii: ",") else { return false }
                }
            }
            // The last of repeated keys wins; then by key bytes. A stable sort keeps equal keys in file order.
            let sorted = members.enumerated().sorted { a, b in
                a.element.key.lexicographicallyPrecedes(b.element.key) || (a.element.key == b.element.key && a.offset < b.offset)
            }.map(\.element)
            out.append(UInt8(ascii: "{"))
            var first = true
            for (index, member) in sorted.enumerated() {
                if index + 1 < sorted.count && sorted[index + 1].key == member.key { continue }
                // The key without its quotes, as dropped keys are given.
                if !dropping.isEmpty && dropping.contains(Array(member.key.dropFirst().dropLast())) { continue }
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                out.append(contentsOf: member.key)
                out.append(UInt8(ascii: ":"))
                out.append(contentsOf: member.value)
            }
            out.append(UInt8(ascii: "}"))
            return true
        }

        private mutating func array(into out: inout [UInt8]) -> Bool {
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maxDepth else { return false }
            position += 1
            out.append(UInt8(ascii: "["))
            if peekSkippingWhitespace() == UInt8(ascii: "]") {
                position += 1
                out.append(UInt8(ascii: "]"))
                return true
            }
            while true {
                guard value(into: &out, dropping: []) else { return false }
                let next = peekSkippingWhitespace()
                position += 1
                if next == UInt8(ascii: "]") { break }
                guard next == UInt8(ascii: ",") else { return false }
                out.append(UInt8(ascii: ","))
            }
            out.append(UInt8(ascii: "]"))
            return true
        }

        /// A string, unescaped and written again with the one escaping; a lone surrogate escape stays an escape
        /// (lower-case), so it never equals U+FFFD.
        private mutating func string(into out: inout [UInt8]) -> Bool {
            position += 1
            out.append(UInt8(ascii: "\""))
            while position < bytes.count {
                let b = bytes[position]
                switch b {
                case UInt8(ascii: "\""):
                    position += 1
                    out.append(b)
                    return true
                case UInt8(ascii: "\\"):
                    guard position + 1 < bytes.count else { return false }
                    let e = bytes[position + 1]
                    position += 2
                    switch e {
                    case UInt8(ascii: "\""): out += [0x5C, 0x22]
                    case UInt8(ascii: "\\"): out += [0x5C, 0x5C]
                    case UInt8(ascii: "/"): out.append(UInt8(ascii: "/"))
                    case UInt8(ascii: "b"): appendScalar(0x08, to: &out)
                    case UInt8(ascii: "f"): appendScalar(0x0C, to: &out)
                    case UInt8(ascii: "n"): appendScalar(0x0A, to: &out)
                    case UInt8(ascii: "r"): appendScalar(0x0D, to: &out)
                    case UInt8(ascii: "t"): appendScalar(0x09, to: &out)
                    case UInt8(ascii: "u"):
                        guard let code = hex4() else { return false }
                        if (0xD800...0xDBFF).contains(code), position + 1 < bytes.count, bytes[position] == 0x5C, bytes[position + 1] == UInt8(ascii: "u") {
                            let save = position
                            position += 2
                            if let low = hex4(), (0xDC00...0xDFFF).contains(low) {
                                appendScalar(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00), to: &out)
                                continue
                            }
                            position = save
                        }
                        if (0xD800...0xDFFF).contains(code) {
                            out += Array(String(format: "\\u%04x", code).utf8)
                        } else {
                            appendScalar(code, to: &out)
                        }
                    default: return false
                    }
                case 0..<0x20:
                    return false
                default:
                    // UTF-8 as it is (the relay's inspector has checked it); a control character never gets here.
                    out.append(b)
                    position += 1
                }
            }
            return false
        }

        private mutating func hex4() -> UInt32? {
            guard position + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for k in 0..<4 {
                let b = bytes[position + k]
                let digit: UInt32
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
                default: return nil
                }
                value = value << 4 | digit
            }
            position += 4
            return value
        }

        private func appendScalar(_ code: UInt32, to out: inout [UInt8]) {
            guard let scalar = Unicode.Scalar(code) else { return }
            switch code {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0..<0x20: out += Array(String(format: "\\u%04x", code).utf8)
            default: out += Array(String(Character(scalar)).utf8)
            }
        }

        private mutating func number(into out: inout [UInt8]) -> Bool {
            let start = position
            var isInteger = true
            if bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard position < bytes.count else { return false }
            if bytes[position] == UInt8(ascii: "0") {
                position += 1
            } else if (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(bytes[position]) {
                while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
            } else {
                return false
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
                isInteger = false
                position += 1
                let digits = position
                while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
                guard position > digits else { return false }
            }
            if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
                isInteger = false
                position += 1
                if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
                let digits = position
                while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
                guard position > digits else { return false }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
            if isInteger {
                out += Array((text == "-0" ? "0" : text).utf8)
                return true
            }
            guard let double = Double(text), double.isFinite else {
                out += Array(text.lowercased().utf8)
                return true
            }
            if double == double.rounded(), abs(double) < 9_007_199_254_740_992 {
                out += Array(String(Int64(double)).utf8)
            } else {
                out += Array("\(double)".utf8)
            }
            return true
        }

        /// Skips one value without writing anything, for reading a large message's keys: its range, or nil.
        mutating func skipValue() -> Range<Int>? {
            skipWhitespace()
            let start = position
            guard position < bytes.count else { return nil }
            switch bytes[position] {
            case UInt8(ascii: "\""):
                position += 1
                while position < bytes.count {
                    let b = bytes[position]
                    if b == UInt8(ascii: "\\") { position += 2; continue }
                    position += 1
                    if b == UInt8(ascii: "\"") { return start..<position }
                }
                return nil
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var nesting = 0
                while position < bytes.count {
                    let b = bytes[position]
                    switch b {
                    case UInt8(ascii: "\""):
                        guard skipValue() != nil else { return nil }
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): nesting += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        nesting -= 1
                        if nesting == 0 {
                            position += 1
                            return start..<position
                        }
                    default: break
                    }
                    position += 1
                }
                return nil
            default:
                while position < bytes.count {
                    let b = bytes[position]
                    if b == UInt8(ascii: ",") || b == UInt8(ascii: "}") || b == UInt8(ascii: "]") || b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { break }
                    position += 1
                }
                return position > start ? start..<position : nil
            }
        }

        /// The members of the object at the position: each key's raw bytes (without quotes) and its value's range.
        mutating func members() -> [(key: Range<Int>, value: Range<Int>)]? {
            guard peekSkippingWhitespace() == UInt8(ascii: "{") else { return nil }
            position += 1
            var members: [(key: Range<Int>, value: Range<Int>)] = []
            if peekSkippingWhitespace() == UInt8(ascii: "}") { position += 1; return members }
            while true {
                guard peekSkippingWhitespace() == UInt8(ascii: "\""), let key = skipValue() else { return nil }
                guard peekSkippingWhitespace() == UInt8(ascii: ":") else { return nil }
                position += 1
                guard let value = skipValue() else { return nil }
                members.append((key.lowerBound + 1..<key.upperBound - 1, value))
                let next = peekSkippingWhitespace()
                position += 1
                if next == UInt8(ascii: "}") { return members }
                guard next == UInt8(ascii: ",") else { return nil }
            }
        }
    }
}

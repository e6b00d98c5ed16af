/// Reads a JSON text, or a JSONC one (JSON with `//` and `/* */` comments and trailing commas, as VS Code's
/// `mcp.json` is), into ``JSONCNode``s that remember where each value sits.
///
/// Strict: anything RFC 8259 refuses (besides what the JSONC dialect allows) is an error that names the line and
/// column, so that `wrap` never edits a file it does not understand. A UTF-8 byte order mark at the start is skipped.
public struct JSONCParser {
    /// Which dialect to accept.
    public enum Dialect: Sendable, Equatable {
        /// RFC 8259 JSON.
        case json
        /// JSON with comments and trailing commas (VS Code's JSONC).
        case jsonc
    }

    private let bytes: [UInt8]
    private let dialect: Dialect
    private var position = 0
    private var depth = 0

    private init(bytes: [UInt8], dialect: Dialect) {
        self.bytes = bytes
        self.dialect = dialect
    }

    /// Parses one JSON(C) text.
    /// - Throws: ``WatchError`` with code `invalidArgument`: `line L, column C: what was expected`.
    public static func parse(_ bytes: [UInt8], dialect: Dialect) throws -> JSONCNode {
        var parser = JSONCParser(bytes: bytes, dialect: dialect)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.position = 3 }
        try parser.skipTrivia()
        let node = try parser.parseValue()
        try parser.skipTrivia()
        guard parser.position == bytes.count else { throw parser.error("unexpected text after the end of the JSON value") }
        return node
    }

    /// The line and column (both from 1, the column in bytes) of a byte offset.
    public static func lineAndColumn(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var lineStart = 0
        for index in 0..<min(offset, bytes.count) where bytes[index] == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        return (line, offset - lineStart + 1)
    }

    private func error(_ message: String, at offset: Int? = nil) -> WatchError {
        let (line, column) = Self.lineAndColumn(of: offset ?? position, in: bytes)
        return WatchError(.invalidArgument, "line \(line), column \(column): \(message)")
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipTrivia() throws {
        while let byte = current {
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D:
                position += 1
            case UInt8(ascii: "/") where position + 1 < bytes.count && (bytes[position + 1] == UInt8(ascii: "/") || bytes[position + 1] == UInt8(ascii: "*")):
                guard dialect == .jsonc else {
                    throw error("a comment, which JSON does not allow (only VS Code's mcp.json is JSONC)")
                }
                let start = position
                if bytes[position + 1] == UInt8(ascii: "/") {
                    while let b = current, b != 0x0A { _ = b; position += 1 }
                } else {
                    position += 2
                    while position + 1 < bytes.count && !(bytes[position] == UInt8(ascii: "*") && bytes[position + 1] == UInt8(ascii: "/")) {
                        position += 1
                    }
                    guard position + 1 < bytes.count else { throw error("a /* comment that is never closed", at: start) }
                    position += 2
                }
            default:
                return
            }
        }
    }

    private mutating func parseValue() throws -> JSONCNode {
        guard let byte = current else { throw error("unexpected end of the text, expected a value") }
        let start = position
        switch byte {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""):
            let text = try parseString()
            return JSONCNode(range: start..<position, value: .string(text))
        case UInt8(ascii: "t"): try literal("true"); return JSONCNode(range: start..<position, value: .bool(true))
        case UInt8(ascii: "f"): try literal("false"); return JSONCNode(range: start..<position, value: .bool(false))
        case UInt8(ascii: "n"): try literal("null"); return JSONCNode(range: start..<position, value: .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try parseNumber()
            return JSONCNode(range: start..<position, value: .number)
        default:
            throw error("unexpected character '\(Self.show(byte))', expected a value")
        }
    }

    private static func show(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : "\\u{\(String(byte, radix: 16))}"
    }

    private mutating func literal(_ word: String) throws {
        let expected = Array(word.utf8)
        guard bytes.count - position >= expected.count, Array(bytes[position..<position + expected.count]) == expected else {
            throw error("unexpected character, expected a value")
        }
        position += expected.count
    }

    private mutating func parseNumber() throws {
        func digits() -> Int {
            let start = position
            while let b = current, b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") { _ = b; position += 1 }
            return position - start
        }
        if current == UInt8(ascii: "-") { position += 1 }
        if current == UInt8(ascii: "0") {
            position += 1
        } else if digits() == 0 {
            throw error("a malformed number")
        }
        if current == UInt8(ascii: ".") {
            position += 1
            guard digits() > 0 else { throw error("a malformed number") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw error("a malformed number") }
        }
    }

    private mutating func parseString() throws -> String {
        let start = position
        position += 1
        var scalars = String.UnicodeScalarView()
        var plainStart = position
        func flushPlain(_ end: Int) throws {
            guard end > plainStart else { return }
            guard let text = String(validating: bytes[plainStart..<end], as: UTF8.self) else {
                throw error("a string that is not valid UTF-8", at: plainStart)
            }
            scalars.append(contentsOf: text.unicodeScalars)
        }
        while true {
            guard let byte = current else { throw error("a string that is never closed", at: start) }
            switch byte {
            case UInt8(ascii: "\""):
                try flushPlain(position)
                position += 1
                return String(scalars)
            case UInt8(ascii: "\\"):
                try flushPlain(position)
                position += 1
                guard let escaped = current else { throw error("a string that is never closed", at: start) }
                position += 1
                switch escaped {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code), current == UInt8(ascii: "\\"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "u") {
                        position += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("an unpaired surrogate in a \\u escape") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = UnicodeScalar(code) else { throw error("an unpaired surrogate in a \\u escape") }
                    scalars.append(scalar)
                default:
                    throw error("an unknown escape '\\\(Self.show(escaped))' in a string", at: position - 2)
                }
                plainStart = position
            case 0x00..<0x20:
                throw error("a control character in a string (write it as an escape)")
            default:
                position += 1
            }
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard bytes.count - position >= 4 else { throw error("a \\u escape needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[position]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw error("a \\u escape needs four hex digits")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    private mutating func enter() throws {
        depth += 1
        guard depth <= 512 else { throw error("nested more than 512 deep") }
    }

    private mutating func parseObject() throws -> JSONCNode {
        let start = position
        try enter()
        defer { depth -= 1 }
        position += 1
        var members: [JSONCNode.Member] = []
        try skipTrivia()
        if current == UInt8(ascii: "}") {
            position += 1
            return JSONCNode(range: start..<position, value: .object(members))
        }
        while true {
            guard current == UInt8(ascii: "\"") else {
                throw error(current == nil ? "an object that is never closed" : "expected a key in double quotes")
            }
            let keyStart = position
            let key = try parseString()
            let keyRange = keyStart..<position
            try skipTrivia()
            guard current == UInt8(ascii: ":") else { throw error("expected ':' after the key \"\(key)\"") }
            position += 1
            try skipTrivia()
            let value = try parseValue()
            members.append(JSONCNode.Member(key: key, keyRange: keyRange, value: value))
            try skipTrivia()
            switch current {
            case UInt8(ascii: ","):
                let comma = position
                position += 1
                try skipTrivia()
                if current == UInt8(ascii: "}") {
                    guard dialect == .jsonc else { throw error("a trailing comma, which JSON does not allow", at: comma) }
                    position += 1
                    return JSONCNode(range: start..<position, value: .object(members))
                }
            case UInt8(ascii: "}"):
                position += 1
                return JSONCNode(range: start..<position, value: .object(members))
            case nil:
                throw error("an object that is never closed", at: start)
            default:
                throw error("expected ',' or '}' after a member")
            }
        }
    }

    private mutating func parseArray() throws -> JSONCNode {
        let start = position
        try enter()
        defer { depth -= 1 }
        position += 1
        var elements: [JSONCNode] = []
        try skipTrivia()
        if current == UInt8(ascii: "]") {
            position += 1
            return JSONCNode(range: start..<position, value: .array(elements))
        }
        while true {
            guard current != nil else { throw error("an array that is never closed", at: start) }
            elements.append(try parseValue())
            try skipTrivia()
            switch current {
            case UInt8(ascii: ","):
                let comma = position
                position += 1
                try skipTrivia()
                if current == UInt8(ascii: "]") {
                    guard dialect == .jsonc else { throw error("a trailing comma, which JSON does not allow", at: comma) }
                    position += 1
                    return JSONCNode(range: start..<position, value: .array(elements))
                }
            case UInt8(ascii: "]"):
                position += 1
                return JSONCNode(range: start..<position, value: .array(elements))
            case nil:
                throw error("an array that is never closed", at: start)
            default:
                throw error("expected ',' or ']' after an element")
            }
        }
    }
}

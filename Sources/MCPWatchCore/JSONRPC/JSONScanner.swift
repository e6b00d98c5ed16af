import Foundation

/// Why scanning stopped.
enum ScanError: Error, Equatable {
    case invalidJSON
    case invalidUTF8
    case endOfInput
    case tooDeep

    var anomaly: AnomalyKind {
        switch self {
        case .invalidUTF8: .invalidUTF8
        case .invalidJSON, .endOfInput, .tooDeep: .invalidJSON
        }
    }
}

/// A cursor over JSON bytes. All methods advance `position` past what they read.
struct JSONScanner {
    let base: UnsafePointer<UInt8>
    let count: Int
    var position = 0

    init(base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
    }

    @inline(__always) func peek() -> UInt8 { base[position] }

    @inline(__always) mutating func skipWhitespace() {
        while position < count {
            let b = base[position]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            position += 1
        }
    }

    @inline(__always) mutating func next() throws(ScanError) -> UInt8 {
        skipWhitespace()
        guard position < count else { throw .endOfInput }
        return base[position]
    }

    @inline(__always) mutating func expect(_ byte: UInt8) throws(ScanError) {
        guard try next() == byte else { throw .invalidJSON }
        position += 1
    }

    /// Only whitespace may follow the top-level value.
    mutating func expectEnd() throws(ScanError) {
        skipWhitespace()
        guard position == count else { throw .invalidJSON }
    }

    // MARK: Strings

    /// A string's content bytes (without quotes) and whether it has escapes.
    struct StringSpan {
        var start: Int
        var end: Int
        var hasEscapes: Bool
    }

    /// Scans a string starting at the opening quote, validating escapes, control characters and UTF-8.
    mutating func scanString() throws(ScanError) -> StringSpan {
        guard try next() == UInt8(ascii: "\"") else { throw .invalidJSON }
        position += 1
        let start = position
        var escapes = false
        while position < count {
            let b = base[position]
            if b >= 0x20 && b != 0x22 && b != 0x5C && b < 0x80 {
                position += 1
                continue
            }
            if b == 0x22 {
                let span = StringSpan(start: start, end: position, hasEscapes: escapes)
                position += 1
                return span
            }
            if b == 0x5C {
                escapes = true
                guard position + 1 < count else { throw .endOfInput }
                switch base[position + 1] {
                case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74: position += 2
                case 0x75:
                    guard position + 5 < count else { throw .endOfInput }
                    for k in 2...5 where !Self.isHexDigit(base[position + k]) { throw .invalidJSON }
                    position += 6
                default: throw .invalidJSON
                }
                continue
            }
            if b < 0x20 { throw .invalidJSON }
            try skipUTF8Sequence(lead: b)
        }
        throw .endOfInput
    }

    /// Validates one multi-byte UTF-8 sequence (RFC 3629: no overlongs, no surrogates, at most U+10FFFF).
    @inline(__always) private mutating func skipUTF8Sequence(lead: UInt8) throws(ScanError) {
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw .invalidUTF8
        }
        guard position + length <= count else { throw .endOfInput }
        let second = base[position + 1]
        guard second >= low && second <= high else { throw .invalidUTF8 }
        if length > 2 {
            for k in 2..<length where base[position + k] & 0xC0 != 0x80 { throw .invalidUTF8 }
        }
        position += length
    }

    @inline(__always) static func isHexDigit(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)
    }

    /// Whether a scanned string equals an ASCII key (keys we look for never need unescaping).
    @inline(__always) func spanEquals(_ span: StringSpan, _ key: StaticString) -> Bool {
        guard !span.hasEscapes, span.end - span.start == key.utf8CodeUnitCount else { return false }
        return memcmp(base + span.start, key.utf8Start, key.utf8CodeUnitCount) == 0
    }

    /// Decodes a string span, unescaping, truncated to at most `limit` bytes of UTF-8 on a character boundary.
    func decode(_ span: StringSpan, limit: Int = MessageInspector.maxTextBytes) -> String {
        if !span.hasEscapes {
            var end = min(span.end, span.start + limit)
            // Step back to the start of a UTF-8 sequence so truncation never splits a character.
            while end < span.end && end > span.start && base[end] & 0xC0 == 0x80 { end -= 1 }
            return String(decoding: UnsafeBufferPointer(start: base + span.start, count: end - span.start), as: UTF8.self)
        }
        var scalars = String.UnicodeScalarView()
        var utf8Count = 0
        var i = span.start
        var raw: [UInt8] = []
        while i < span.end && utf8Count < limit {
            let b = base[i]
            if b != 0x5C {
                // Copy a run of unescaped bytes.
                var j = i
                while j < span.end && base[j] != 0x5C { j += 1 }
                raw.removeAll(keepingCapacity: true)
                raw.append(contentsOf: UnsafeBufferPointer(start: base + i, count: j - i))
                for scalar in String(decoding: raw, as: UTF8.self).unicodeScalars {
                    guard utf8Count + UTF8.width(scalar) <= limit else { return String(scalars) }
                    scalars.append(scalar)
                    utf8Count += UTF8.width(scalar)
                }
                i = j
                continue
            }
            let e = base[i + 1]
            i += 2
            var scalar: Unicode.Scalar
            switch e {
            case 0x62: scalar = "\u{08}"
            case 0x66: scalar = "\u{0C}"
            case 0x6E: scalar = "\n"
            case 0x72: scalar = "\r"
            case 0x74: scalar = "\t"
            case 0x75:
                var code = hex4(at: i)
                i += 4
                if code >= 0xD800 && code <= 0xDBFF, i + 5 < span.end + 1, base[i] == 0x5C, base[i + 1] == 0x75 {
                    let low = hex4(at: i + 2)
                    if low >= 0xDC00 && low <= 0xDFFF {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                }
                scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
            default: scalar = Unicode.Scalar(e)
            }
            guard utf8Count + UTF8.width(scalar) <= limit else { break }
            scalars.append(scalar)
            utf8Count += UTF8.width(scalar)
        }
        return String(scalars)
    }

    private func hex4(at i: Int) -> UInt32 {
        var value: UInt32 = 0
        for k in 0..<4 {
            let b = base[i + k]
            let digit: UInt8 = b <= 0x39 ? b - 0x30 : (b | 0x20) - 0x61 + 10
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    // MARK: Scalars

    mutating func scanNumber() throws(ScanError) -> Range<Int> {
        let start = position
        if position < count && base[position] == UInt8(ascii: "-") { position += 1 }
        guard position < count else { throw .endOfInput }
        if base[position] == UInt8(ascii: "0") {
            position += 1
        } else if base[position] >= 0x31 && base[position] <= 0x39 {
            skipDigits()
        } else {
            throw .invalidJSON
        }
        if position < count && base[position] == UInt8(ascii: ".") {
            position += 1
            guard position < count, isDigit(base[position]) else { throw position < count ? .invalidJSON : .endOfInput }
            skipDigits()
        }
        if position < count && (base[position] | 0x20) == UInt8(ascii: "e") {
            position += 1
            if position < count && (base[position] == UInt8(ascii: "+") || base[position] == UInt8(ascii: "-")) { position += 1 }
            guard position < count, isDigit(base[position]) else { throw position < count ? .invalidJSON : .endOfInput }
            skipDigits()
        }
        return start..<position
    }

    @inline(__always) private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    @inline(__always) private mutating func skipDigits() {
        while position < count && isDigit(base[position]) { position += 1 }
    }

    /// Scans `true`, `false` or `null`; returns the first letter.
    mutating func scanLiteral() throws(ScanError) -> UInt8 {
        let first = base[position]
        let word: StaticString = first == UInt8(ascii: "t") ? "true" : first == UInt8(ascii: "f") ? "false" : "null"
        let n = word.utf8CodeUnitCount
        guard position + n <= count else {
            // A prefix of the literal at the end is truncation; anything else is junk.
            let available = count - position
            if memcmp(base + position, word.utf8Start, available) == 0 { throw .endOfInput }
            throw .invalidJSON
        }
        guard memcmp(base + position, word.utf8Start, n) == 0 else { throw .invalidJSON }
        position += n
        return first
    }

    func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(start: base + range.lowerBound, count: range.count), as: UTF8.self)
    }

    // MARK: Skipping

    /// Skips one JSON value of any kind, validating it, without recursion.
    mutating func skipValue(stack: inout [UInt8]) throws(ScanError) {
        let floor = stack.count
        while true {
            // Expecting a value.
            let b = try next()
            switch b {
            case UInt8(ascii: "{"):
                position += 1
                if try next() == UInt8(ascii: "}") {
                    position += 1
                } else {
                    guard stack.count < MessageInspector.maxDepth else { throw .tooDeep }
                    stack.append(1)
                    _ = try scanString()
                    try expect(UInt8(ascii: ":"))
                    continue
                }
            case UInt8(ascii: "["):
                position += 1
                if try next() == UInt8(ascii: "]") {
                    position += 1
                } else {
                    guard stack.count < MessageInspector.maxDepth else { throw .tooDeep }
                    stack.append(2)
                    continue
                }
            case UInt8(ascii: "\""): _ = try scanString()
            case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"): _ = try scanLiteral()
            case UInt8(ascii: "-"), 0x30...0x39: _ = try scanNumber()
            default: throw .invalidJSON
            }
            // After a value: close containers or move to the next element.
            while stack.count > floor {
                let c = try next()
                let isObject = stack[stack.count - 1] == 1
                if c == UInt8(ascii: ",") {
                    position += 1
                    if isObject {
                        _ = try scanString()
                        try expect(UInt8(ascii: ":"))
                    }
                    break
                }
                guard c == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { throw .invalidJSON }
                position += 1
                stack.removeLast()
            }
            if stack.count == floor { return }
        }
    }

    // MARK: Messages

    /// Iterates the members of an object, calling `body` with each key; `body` must consume the value.
    @inline(__always)
    mutating func forEachMember(_ body: (inout JSONScanner, StringSpan) throws(ScanError) -> Void) throws(ScanError) {
        try expect(UInt8(ascii: "{"))
        if try next() == UInt8(ascii: "}") {
            position += 1
            return
        }
        while true {
            let key = try scanString()
            try expect(UInt8(ascii: ":"))
            try body(&self, key)
            let c = try next()
            position += 1
            if c == UInt8(ascii: "}") { return }
            guard c == UInt8(ascii: ",") else { throw .invalidJSON }
        }
    }

    /// Reads an id value: a string or a number (kept as JSON text), or null (no id).
    mutating func scanID(stack: inout [UInt8]) throws(ScanError) -> RequestID? {
        let b = try next()
        if b == UInt8(ascii: "\"") {
            let start = position
            let span = try scanString()
            // Ids longer than the text limit are rare and hostile; keep them whole, they must echo exactly.
            _ = span
            return RequestID(json: text(start..<position))
        }
        if b == UInt8(ascii: "-") || (b >= 0x30 && b <= 0x39) {
            return RequestID(json: text(try scanNumber()))
        }
        try skipValue(stack: &stack)
        return nil
    }

    mutating func parseMessage(into info: inout MessageInfo, stack: inout [UInt8]) throws(ScanError) {
        var hasID = false, hasMethod = false, hasResult = false, hasError = false
        var toolText: StringSpan?
        defer {
            if hasMethod {
                info.kind = hasID ? .request : .notification
            } else if hasID && hasError {
                info.kind = .error
            } else if hasID && hasResult {
                info.kind = .result
            } else {
                info.kind = .invalid
            }
            if info.isToolError, let span = toolText { info.toolErrorText = decode(span) }
        }
        try forEachMember { (s: inout JSONScanner, key: StringSpan) throws(ScanError) in
            if s.spanEquals(key, "id") {
                hasID = true
                info.id = try s.scanID(stack: &stack)
            } else if s.spanEquals(key, "method") {
                if try s.next() == UInt8(ascii: "\"") {
                    info.method = s.decode(try s.scanString())
                    hasMethod = true
                } else {
                    try s.skipValue(stack: &stack)
                }
            } else if s.spanEquals(key, "params") {
                try s.parseParams(into: &info, stack: &stack)
            } else if s.spanEquals(key, "result") {
                hasResult = true
                toolText = try s.parseResult(into: &info, stack: &stack)
            } else if s.spanEquals(key, "error") {
                hasError = true
                try s.parseError(into: &info, stack: &stack)
            } else {
                try s.skipValue(stack: &stack)
            }
        }
    }

    mutating func parseParams(into info: inout MessageInfo, stack: inout [UInt8]) throws(ScanError) {
        guard try next() == UInt8(ascii: "{") else { return try skipValue(stack: &stack) }
        try forEachMember { (s: inout JSONScanner, key: StringSpan) throws(ScanError) in
            if s.spanEquals(key, "name"), try s.next() == UInt8(ascii: "\"") {
                info.paramsName = s.decode(try s.scanString())
            } else if s.spanEquals(key, "uri"), try s.next() == UInt8(ascii: "\"") {
                info.paramsURI = s.decode(try s.scanString())
            } else if s.spanEquals(key, "requestId") {
                info.cancelledRequestID = try s.scanID(stack: &stack)
            } else if s.spanEquals(key, "requestState"), try s.next() == UInt8(ascii: "\"") {
                info.requestStateHash = s.hash(try s.scanString())
            } else if s.spanEquals(key, "inputResponses") {
                info.hasInputResponses = true
                try s.skipValue(stack: &stack)
            } else if s.spanEquals(key, "taskId"), try s.next() == UInt8(ascii: "\"") {
                info.taskID = s.decode(try s.scanString())
            } else if s.spanEquals(key, "_meta"), try s.next() == UInt8(ascii: "{") {
                try s.forEachMember { (m: inout JSONScanner, k: StringSpan) throws(ScanError) in
                    if m.spanEquals(k, "io.modelcontextprotocol/subscriptionId") {
                        info.subscriptionID = try m.scanID(stack: &stack)
                    } else {
                        try m.skipValue(stack: &stack)
                    }
                }
            } else {
                try s.skipValue(stack: &stack)
            }
        }
    }

    /// FNV-1a over a string's content, unescaped when it has escapes (two writers may escape the same text apart).
    func hash(_ span: StringSpan) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func add(_ bytes: UnsafeBufferPointer<UInt8>) {
            for b in bytes {
                h ^= UInt64(b)
                h = h &* 0x0000_0100_0000_01B3
            }
        }
        if span.hasEscapes {
            var text = decode(span, limit: 1 << 30)
            text.withUTF8 { add($0) }
        } else {
            add(UnsafeBufferPointer(start: base + span.start, count: span.end - span.start))
        }
        return h
    }

    /// The task status a string names, if any.
    func taskStatus(_ span: StringSpan) -> TaskStatus? {
        if spanEquals(span, "working") { return .working }
        if spanEquals(span, "input_required") { return .inputRequired }
        if spanEquals(span, "completed") { return .completed }
        if spanEquals(span, "failed") { return .failed }
        if spanEquals(span, "cancelled") { return .cancelled }
        return nil
    }

    /// Reads `result.isError` and finds (without decoding) the first text content, in case it is a tool error.
    mutating func parseResult(into info: inout MessageInfo, stack: inout [UInt8]) throws(ScanError) -> StringSpan? {
        guard try next() == UInt8(ascii: "{") else {
            try skipValue(stack: &stack)
            return nil
        }
        var firstText: StringSpan?
        try forEachMember { (s: inout JSONScanner, key: StringSpan) throws(ScanError) in
            let lead = try s.next()
            if s.spanEquals(key, "isError"), lead == UInt8(ascii: "t") || lead == UInt8(ascii: "f") {
                info.isToolError = try s.scanLiteral() == UInt8(ascii: "t")
            } else if s.spanEquals(key, "resultType"), lead == UInt8(ascii: "\"") {
                let span = try s.scanString()
                info.resultType = s.spanEquals(span, "complete") ? .complete
                    : s.spanEquals(span, "input_required") ? .inputRequired : s.spanEquals(span, "task") ? .task : .other
            } else if s.spanEquals(key, "requestState"), lead == UInt8(ascii: "\"") {
                info.requestStateHash = s.hash(try s.scanString())
            } else if s.spanEquals(key, "taskId"), lead == UInt8(ascii: "\"") {
                info.taskID = s.decode(try s.scanString())
            } else if s.spanEquals(key, "status"), lead == UInt8(ascii: "\"") {
                info.taskStatus = s.taskStatus(try s.scanString())
            } else if s.spanEquals(key, "result"), lead == UInt8(ascii: "{") {
                // A completed task's result: only whether its tool failed.
                try s.forEachMember { (r: inout JSONScanner, k: StringSpan) throws(ScanError) in
                    let first = try r.next()
                    if r.spanEquals(k, "isError"), first == UInt8(ascii: "t") || first == UInt8(ascii: "f") {
                        info.taskResultIsError = try r.scanLiteral() == UInt8(ascii: "t")
                    } else {
                        try r.skipValue(stack: &stack)
                    }
                }
            } else if s.spanEquals(key, "error"), lead == UInt8(ascii: "{") {
                // A failed task's JSON-RPC error: only its code.
                try s.forEachMember { (e: inout JSONScanner, k: StringSpan) throws(ScanError) in
                    let first = try e.next()
                    if e.spanEquals(k, "code"), first == UInt8(ascii: "-") || (first >= 0x30 && first <= 0x39) {
                        info.taskErrorCode = Int(e.text(try e.scanNumber()))
                    } else {
                        try e.skipValue(stack: &stack)
                    }
                }
            } else if s.spanEquals(key, "content"), try s.next() == UInt8(ascii: "[") {
                s.position += 1
                if try s.next() == UInt8(ascii: "]") {
                    s.position += 1
                    return
                }
                var index = 0
                while true {
                    if index == 0, try s.next() == UInt8(ascii: "{") {
                        try s.forEachMember { (c: inout JSONScanner, k: StringSpan) throws(ScanError) in
                            if c.spanEquals(k, "text"), try c.next() == UInt8(ascii: "\"") {
                                firstText = try c.scanString()
                            } else {
                                try c.skipValue(stack: &stack)
                            }
                        }
                    } else {
                        try s.skipValue(stack: &stack)
                    }
                    index += 1
                    let c = try s.next()
                    s.position += 1
                    if c == UInt8(ascii: "]") { break }
                    guard c == UInt8(ascii: ",") else { throw .invalidJSON }
                }
            } else {
                try s.skipValue(stack: &stack)
            }
        }
        return firstText
    }

    mutating func parseError(into info: inout MessageInfo, stack: inout [UInt8]) throws(ScanError) {
        guard try next() == UInt8(ascii: "{") else { return try skipValue(stack: &stack) }
        try forEachMember { (s: inout JSONScanner, key: StringSpan) throws(ScanError) in
            let lead = try s.next()
            if s.spanEquals(key, "code"), lead == UInt8(ascii: "-") || (lead >= 0x30 && lead <= 0x39) {
                let range = try s.scanNumber()
                let text = s.text(range)
                // `-32602.0` or `1e999` are odd but must never trap: keep what fits, drop the rest.
                info.errorCode = Int(text) ?? Double(text).flatMap { $0.isFinite && abs($0) < 1e15 ? Int($0) : nil }
            } else if s.spanEquals(key, "message"), try s.next() == UInt8(ascii: "\"") {
                info.errorMessage = s.decode(try s.scanString())
            } else {
                try s.skipValue(stack: &stack)
            }
        }
    }

    mutating func parseBatch(into messages: inout [MessageInfo], stack: inout [UInt8]) throws(ScanError) {
        try expect(UInt8(ascii: "["))
        if try next() == UInt8(ascii: "]") {
            position += 1
            return
        }
        while true {
            if try next() == UInt8(ascii: "{") {
                var info = MessageInfo()
                do {
                    try parseMessage(into: &info, stack: &stack)
                } catch {
                    if error == .endOfInput { messages.append(info) }
                    throw error
                }
                messages.append(info)
            } else {
                try skipValue(stack: &stack)
                messages.append(MessageInfo())
            }
            let c = try next()
            position += 1
            if c == UInt8(ascii: "]") { return }
            guard c == UInt8(ascii: ",") else { throw .invalidJSON }
        }
    }
}

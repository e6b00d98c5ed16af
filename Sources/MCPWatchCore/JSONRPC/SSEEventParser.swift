/// Splits a Server-Sent Events stream into events, on the side: the transport forwards the bytes it read unchanged
/// and feeds the same bytes here only to learn each event's `data` (a JSON-RPC message to measure) and `id`.
///
/// Follows the WHATWG event-stream rules: lines end with CRLF, LF or CR (also split across chunks); an empty line
/// dispatches the event; `data` lines are joined with LF; one space after the colon is dropped; `:` starts a
/// comment. Memory is bounded: an event whose data grows past `maxEventBytes` is reported with `truncated` set and
/// only its first `maxEventBytes` bytes.
public struct SSEEventParser: Sendable {
    /// One dispatched event.
    public struct Event: Sendable, Equatable {
        /// The `id` field of this event, if it had one.
        public var id: String?
        /// The `event` field (nil: the default `message`).
        public var type: String?
        /// The `data` lines joined with LF.
        public var data: [UInt8]
        /// Whether the data was longer than the parser keeps.
        public var truncated: Bool

        /// Creates an event.
        public init(id: String? = nil, type: String? = nil, data: [UInt8], truncated: Bool = false) {
            self.id = id
            self.type = type
            self.data = data
            self.truncated = truncated
        }
    }

    /// Largest event data (and line) kept.
    public let maxEventBytes: Int
    /// The last `id` seen on the stream (what a client resumes from with `Last-Event-ID`).
    public private(set) var lastEventID: String?

    private var line: [UInt8] = []
    private var lineTooLong = false
    private var data: [UInt8] = []
    private var hasData = false
    private var truncated = false
    private var id: String?
    private var type: String?
    private var afterCR = false

    /// Creates a parser.
    public init(maxEventBytes: Int = 64 << 20) {
        self.maxEventBytes = max(16, maxEventBytes)
    }

    /// Reads a chunk; calls `onEvent` for each event it completes.
    public mutating func append(_ bytes: UnsafeRawBufferPointer, _ onEvent: (Event) -> Void) {
        var start = 0
        var i = 0
        let n = bytes.count
        if afterCR && n > 0 && bytes[0] == 0x0A {
            // The LF of a CRLF split across two chunks.
            start = 1
            i = 1
        }
        afterCR = false
        while i < n {
            let byte = bytes[i]
            if byte == 0x0A || byte == 0x0D {
                appendToLine(UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
                endLine(onEvent)
                if byte == 0x0D {
                    if i + 1 < n {
                        if bytes[i + 1] == 0x0A { i += 1 }
                    } else {
                        afterCR = true
                    }
                }
                start = i + 1
            }
            i += 1
        }
        if start < n { appendToLine(UnsafeRawBufferPointer(rebasing: bytes[start..<n])) }
    }

    /// Convenience for byte arrays.
    public mutating func append(_ bytes: [UInt8], _ onEvent: (Event) -> Void) {
        bytes.withUnsafeBytes { append($0, onEvent) }
    }

    private mutating func appendToLine(_ part: UnsafeRawBufferPointer) {
        guard !part.isEmpty, !lineTooLong else { return }
        if line.count + part.count > maxEventBytes + 8 {
            line.append(contentsOf: part.prefix(max(0, maxEventBytes + 8 - line.count)))
            lineTooLong = true
        } else {
            line.append(contentsOf: part)
        }
    }

    private mutating func endLine(_ onEvent: (Event) -> Void) {
        defer {
            line.removeAll(keepingCapacity: line.count <= 4_096)
            lineTooLong = false
        }
        if line.isEmpty {
            if hasData {
                onEvent(Event(id: id, type: type, data: data, truncated: truncated))
            }
            data.removeAll(keepingCapacity: data.count <= 65_536)
            hasData = false
            truncated = false
            id = nil
            type = nil
            return
        }
        if line[0] == 0x3A { return }  // a comment
        let colon = line.firstIndex(of: 0x3A)
        let name = colon.map { line[..<$0] } ?? line[...]
        var valueStart = colon.map { $0 + 1 } ?? line.count
        if valueStart < line.count && line[valueStart] == 0x20 { valueStart += 1 }
        let value = line[valueStart...]
        switch String(decoding: name, as: UTF8.self) {
        case "data":
            if hasData { appendData(CollectionOfOne(0x0A)) }
            appendData(value)
            hasData = true
            if lineTooLong { truncated = true }
        case "id":
            if !value.contains(0) {
                let text = String(decoding: value, as: UTF8.self)
                id = text
                lastEventID = text
            }
        case "event":
            type = String(decoding: value, as: UTF8.self)
        default:
            break  // `retry` and unknown fields: nothing to measure
        }
    }

    private mutating func appendData<C: Collection<UInt8>>(_ bytes: C) {
        let room = maxEventBytes - data.count
        if bytes.count > room {
            data.append(contentsOf: bytes.prefix(max(0, room)))
            truncated = true
        } else {
            data.append(contentsOf: bytes)
        }
    }
}

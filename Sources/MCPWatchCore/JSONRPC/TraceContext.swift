/// The W3C trace context a request carries in `params._meta` (`traceparent`, `tracestate`, `baggage`), as the MCP
/// specification reserves those keys and the OpenTelemetry MCP conventions use them.
///
/// Only read, never decoded into a model: the values are kept as the raw text the client sent, checked for shape.
public struct TraceContext: Sendable, Equatable {
    /// `traceparent`: `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`.
    public var traceparent: String
    /// `tracestate`, as sent.
    public var tracestate: String?
    /// `baggage`, as sent.
    public var baggage: String?

    /// Creates a context from its three values.
    public init(traceparent: String, tracestate: String? = nil, baggage: String? = nil) {
        self.traceparent = traceparent
        self.tracestate = tracestate
        self.baggage = baggage
    }

    /// The 32 hex digits of the trace id.
    public var traceID: Substring { traceparent.dropFirst(3).prefix(32) }
    /// The 16 hex digits of the parent span id.
    public var parentSpanID: Substring { traceparent.dropFirst(36).prefix(16) }
    /// Whether the `sampled` flag is set.
    public var sampled: Bool {
        guard let flags = UInt8(traceparent.dropFirst(53).prefix(2), radix: 16) else { return false }
        return flags & 1 == 1
    }

    /// What a request's `_meta` says of its trace.
    public enum Extracted: Sendable, Equatable {
        /// No `traceparent` (a root span then).
        case absent
        /// A well-formed context.
        case valid(TraceContext)
        /// A `traceparent` that is not a valid W3C value: ignored (a new root), counted as an anomaly.
        case malformed
    }

    /// Reads `params._meta.traceparent` (and `tracestate`, `baggage`) from one request's JSON text, without decoding
    /// the rest; a quick check for the word `traceparent` first, so a request without one costs one byte search.
    public static func extract(from frame: UnsafeRawBufferPointer) -> Extracted {
        guard contains(frame, traceparentKey) else { return .absent }
        guard let range = JSONValueLocator.range(of: [paramsKey, metaKey, traceparentKey], in: frame) else { return .absent }
        guard let parent = stringValue(frame[range]), isValidTraceparent(parent) else { return .malformed }
        let state = JSONValueLocator.range(of: [paramsKey, metaKey, tracestateKey], in: frame).flatMap { stringValue(frame[$0]) }
        let baggage = JSONValueLocator.range(of: [paramsKey, metaKey, baggageKey], in: frame).flatMap { stringValue(frame[$0]) }
        return .valid(TraceContext(traceparent: parent, tracestate: state, baggage: baggage))
    }

    /// Whether `value` is a W3C `traceparent` of version 00 (or a later version's first four fields): lower-case hex,
    /// neither id all zeros, version not `ff`.
    public static func isValidTraceparent(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard bytes.count >= 55 else { return false }
        guard bytes[2] == dash, bytes[35] == dash, bytes[52] == dash else { return false }
        func hex(_ range: Range<Int>) -> Bool {
            bytes[range].allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
        }
        guard hex(0..<2), hex(3..<35), hex(36..<52), hex(53..<55) else { return false }
        let version = String(decoding: bytes[0..<2], as: UTF8.self)
        if version == "ff" { return false }
        if version == "00" && bytes.count != 55 { return false }
        if bytes.count > 55 && bytes[55] != dash { return false }
        guard bytes[3..<35].contains(where: { $0 != 0x30 }), bytes[36..<52].contains(where: { $0 != 0x30 }) else { return false }
        return true
    }

    /// A `traceparent` of version 00 for these ids.
    public static func traceparent(traceID: some StringProtocol, spanID: some StringProtocol, sampled: Bool) -> String {
        "00-\(traceID)-\(spanID)-\(sampled ? "01" : "00")"
    }

    /// The text of a JSON string without escapes (a traceparent has none), or nil.
    private static func stringValue(_ raw: Slice<UnsafeRawBufferPointer>) -> String? {
        guard raw.count >= 2, raw.first == quote, raw.last == quote else { return nil }
        let inner = raw.dropFirst().dropLast()
        guard !inner.contains(backslash) else { return nil }
        return String(decoding: inner, as: UTF8.self)
    }

    private static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count, let first = needle.first else { return false }
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first {
                var j = 1
                while j < needle.count && haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return true }
            }
            i += 1
        }
        return false
    }

    static let paramsKey = Array("params".utf8)
    static let metaKey = Array("_meta".utf8)
    static let traceparentKey = Array("traceparent".utf8)
    static let tracestateKey = Array("tracestate".utf8)
    static let baggageKey = Array("baggage".utf8)
    private static let dash = UInt8(ascii: "-")
    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")
}

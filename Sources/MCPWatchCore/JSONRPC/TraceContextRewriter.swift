/// Writes mcpwatch's own span context into a forwarded request's `params._meta.traceparent` (`otel.propagate`):
/// the one place where mcpwatch changes a message on purpose. Only that key is inserted or replaced; every other
/// byte of the message stays as the client sent it.
public enum TraceContextRewriter {
    /// The request with `params._meta.traceparent` set to `traceparent`: the value replaced when the key is there,
    /// the key inserted first in `_meta` when `_meta` is there, `"_meta":{"traceparent":...}` inserted first in
    /// `params` otherwise. Nil (forward the message as it is) when the text is not an object whose `params` is an
    /// object, or when `_meta` is not an object.
    /// - Parameters:
    ///   - frame: one JSON-RPC request, without its line end.
    ///   - traceparent: a valid W3C value (hex and dashes only, so it needs no escaping).
    public static func rewrite(_ frame: UnsafeRawBufferPointer, traceparent: String) -> [UInt8]? {
        let value = Array("\"\(traceparent)\"".utf8)
        if let existing = JSONValueLocator.range(of: [TraceContext.paramsKey, TraceContext.metaKey, TraceContext.traceparentKey], in: frame) {
            return JSONValueLocator.replacing(existing, in: frame, with: value)
        }
        if let meta = JSONValueLocator.range(of: [TraceContext.paramsKey, TraceContext.metaKey], in: frame) {
            guard frame[meta.lowerBound] == UInt8(ascii: "{") else { return nil }
            let member = Array("\"traceparent\":".utf8) + value
            return inserting(member, intoObjectAt: meta, of: frame)
        }
        guard let params = JSONValueLocator.range(of: [TraceContext.paramsKey], in: frame),
              frame[params.lowerBound] == UInt8(ascii: "{") else { return nil }
        let member = Array("\"_meta\":{\"traceparent\":".utf8) + value + [UInt8(ascii: "}")]
        return inserting(member, intoObjectAt: params, of: frame)
    }

    /// Convenience for tests and tools: the rewritten text, or nil.
    public static func rewrite(_ text: String, traceparent: String) -> String? {
        Array(text.utf8).withUnsafeBytes { rewrite($0, traceparent: traceparent) }.map { String(decoding: $0, as: UTF8.self) }
    }

    /// `member` as the first member of the object whose text is `object`, with a comma when others follow.
    private static func inserting(_ member: [UInt8], intoObjectAt object: Range<Int>, of frame: UnsafeRawBufferPointer) -> [UInt8] {
        var next = object.lowerBound + 1
        while next < object.upperBound, [0x20, 0x09, 0x0A, 0x0D].contains(frame[next]) { next += 1 }
        let empty = next < object.upperBound && frame[next] == UInt8(ascii: "}")
        let insertion = empty ? member : member + [UInt8(ascii: ",")]
        var out: [UInt8] = []
        out.reserveCapacity(frame.count + insertion.count)
        out.append(contentsOf: frame[..<(object.lowerBound + 1)])
        out.append(contentsOf: insertion)
        out.append(contentsOf: frame[(object.lowerBound + 1)...])
        return out
    }
}

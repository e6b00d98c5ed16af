import Tracing

/// A span's start or end as nanoseconds since the Unix epoch: spans are recorded after the fact, with the times the
/// relay saw.
public struct EpochInstant: TracerInstant {
    /// Nanoseconds since 1970-01-01 00:00 UTC.
    public var nanosecondsSinceEpoch: UInt64

    /// Creates an instant.
    public init(nanosecondsSinceEpoch: UInt64) { self.nanosecondsSinceEpoch = nanosecondsSinceEpoch }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch }
}

/// Reads and writes `traceparent`, `tracestate` and `baggage` in a plain dictionary, for the tracer's propagator.
struct TraceHeaders: Extractor, Injector {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}

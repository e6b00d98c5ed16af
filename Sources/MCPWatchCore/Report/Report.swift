import Foundation

/// The whole picture at one moment: what the JSON API serves, the report file holds and the dashboard shows.
///
/// Encoded with ``Report/encoder(pretty:)``: keys in snake_case, times in RFC 3339, durations in milliseconds,
/// rates in percent (0 to 100, null when there were no calls).
public struct Report: Codable, Sendable, Equatable {
    /// The version of this document's shape; bumped on incompatible changes.
    public var schemaVersion = 1
    /// When the report was made.
    public var generatedAt: Date
    /// The monitored server's name: `--name`, else the server's own `serverInfo.name`.
    public var serverName: String?
    /// The session: who talks to whom, with which protocol version.
    public var session: SessionInfo
    /// Totals, rates and latency over all calls.
    public var overview: Overview
    /// One entry per (method, target), busiest first.
    public var targets: [TargetReport]
    /// Notifications seen, per method and direction.
    public var notifications: [NotificationCount]
    /// Frames that were not clean JSON-RPC.
    public var anomalies: AnomalyReport
    /// Process and host figures, when sampling runs.
    public var system: SystemReport?
    /// What traffic control did in the server's place, when it is configured (see ``TrafficReport``).
    public var traffic: TrafficReport? = nil

    /// A JSON encoder with the report's conventions.
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.string(from: date))
        }
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    /// A JSON decoder that reads what ``encoder(pretty:)`` writes.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = RFC3339.date(from: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not RFC 3339: \(text)"))
            }
            return date
        }
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}

/// Who is talking: what `initialize` told.
public struct SessionInfo: Codable, Sendable, Equatable {
    /// The client's `clientInfo`.
    public var client: PeerInfo?
    /// The server's `serverInfo`.
    public var server: PeerInfo?
    /// The protocol version the server answered with.
    public var protocolVersion: String?
    /// The protocol version the client asked for.
    public var requestedProtocolVersion: String?
    /// The server process id, when mcpwatch launched it.
    public var serverPid: Int32?
    /// Whether the server is running (nil when unknown).
    public var serverAlive: Bool?
    /// How the server ended, once it has (`exited 1`, `killed by signal 9`).
    public var serverExit: String?
    /// Streamable HTTP sessions open now (nil over stdio, which has one connection and no session ids).
    public var sessionCount: Int?
    /// The last sessions, each with its client and call counts, most recently seen first (nil over stdio).
    public var sessions: [SessionSummary]?

    /// Creates session information.
    public init(client: PeerInfo? = nil, server: PeerInfo? = nil, protocolVersion: String? = nil) {
        self.client = client
        self.server = server
        self.protocolVersion = protocolVersion
    }
}

/// A client's or server's name and version, as `initialize` carries them.
public struct PeerInfo: Codable, Sendable, Equatable {
    /// `name`.
    public var name: String
    /// `version`.
    public var version: String?
    /// `title`, when given.
    public var title: String?

    /// Creates peer information.
    public init(name: String, version: String? = nil, title: String? = nil) {
        self.name = name
        self.version = version
        self.title = title
    }
}

/// Totals and rates over every call.
public struct Overview: Codable, Sendable, Equatable {
    /// When monitoring started.
    public var startTime: Date
    /// Seconds since then.
    public var uptimeSeconds: Double
    /// Calls finished (every outcome).
    public var totalCalls: UInt64
    /// Calls that did not end `ok`.
    public var totalErrors: UInt64
    /// Percent of calls that ended `ok`, interim rounds (`input_required`, `task`) left out; null when there were none.
    public var successRate: Double?
    /// Calls sent and not yet answered.
    public var inFlight: Int
    /// Finished calls per outcome (`ok`, `jsonrpc_error`, `tool_error`, `cancelled`, `lost`, and the interim
    /// `input_required`, `task`).
    public var outcomes: [String: UInt64]
    /// Calls per second over the last 1, 5 and 15 minutes.
    public var throughput: Throughput
    /// Percent of calls that failed over the last minute; null when there were none.
    public var errorRateLastMinute: Double?
    /// Latency over all calls since start.
    public var latency: LatencySummary
    /// Bytes and messages relayed each way.
    public var traffic: Traffic
    /// Of the errors, those that were the client's mistake (invalid params, method not found, ...: see
    /// docs/errors.md); they count against the success rate like the others, and are shown apart.
    public var clientErrors: UInt64? = nil
    /// Of the errors, the rest: the server's (or the transport's) failures.
    public var serverErrors: UInt64? = nil
    /// Interim rounds (`input_required`, `task`) among the calls: neither ok nor errors.
    public var interimRounds: UInt64? = nil
    /// The long-lived notification streams; absent when none was ever opened.
    public var streams: StreamsReport? = nil
}

/// Calls per second averaged over three windows.
public struct Throughput: Codable, Sendable, Equatable {
    /// Over the last minute.
    public var lastMinute: Double
    /// Over the last 5 minutes.
    public var last5Minutes: Double
    /// Over the last 15 minutes.
    public var last15Minutes: Double
}

/// Latency figures in milliseconds; all null when nothing was measured.
public struct LatencySummary: Codable, Sendable, Equatable {
    /// Mean.
    public var avgMs: Double?
    /// Fastest.
    public var minMs: Double?
    /// Slowest.
    public var maxMs: Double?
    /// Median.
    public var p50Ms: Double?
    /// 90th percentile.
    public var p90Ms: Double?
    /// 95th percentile.
    public var p95Ms: Double?
    /// 99th percentile.
    public var p99Ms: Double?
    /// 99.9th percentile.
    public var p999Ms: Double?

    static let empty = LatencySummary()
}

/// Messages and bytes relayed each way.
public struct Traffic: Codable, Sendable, Equatable {
    /// Messages from client to server (a batch counts once).
    public var clientToServerMessages: UInt64
    /// Bytes from client to server.
    public var clientToServerBytes: UInt64
    /// Messages from server to client.
    public var serverToClientMessages: UInt64
    /// Bytes from server to client.
    public var serverToClientBytes: UInt64
}

/// Statistics of one (method, target).
public struct TargetReport: Codable, Sendable, Equatable {
    /// The tool or prompt name or resource URI; the method for calls without a target.
    public var name: String
    /// The JSON-RPC method.
    public var method: String
    /// The target (tool, prompt, resource), null for plain methods.
    public var target: String?
    /// `client_to_server` or `server_to_client`.
    public var direction: Direction
    /// Finished calls.
    public var calls: UInt64
    /// Calls that did not end `ok`.
    public var errors: UInt64
    /// Percent of calls that ended `ok`, interim rounds (`input_required`, `task`) left out; null when none.
    public var successRate: Double?
    /// Mean latency in ms.
    public var avgMs: Double?
    /// Fastest call in ms.
    public var minMs: Double?
    /// Slowest call in ms.
    public var maxMs: Double?
    /// Median in ms (HdrHistogram, 3 significant digits).
    public var p50Ms: Double?
    /// 90th percentile in ms.
    public var p90Ms: Double?
    /// 95th percentile in ms.
    public var p95Ms: Double?
    /// 99th percentile in ms.
    public var p99Ms: Double?
    /// 99.9th percentile in ms.
    public var p999Ms: Double?
    /// When it last finished.
    public var lastUsed: Date?
    /// Calls sent and not yet answered.
    public var inFlight: Int
    /// Finished calls per outcome.
    public var outcomes: [String: UInt64]
    /// Failed calls per `error.type` (JSON-RPC code, `tool_error`, `cancelled`, `lost`).
    public var errorTypes: [String: UInt64]
    /// The most recent failure.
    public var lastError: LastError?
    /// The last 100 calls.
    public var recent: RecentSummary
    /// Calls per second over the last minute.
    public var callsPerSecond: Double
    /// Request sizes.
    public var requestBytes: SizeSummary
    /// Response sizes.
    public var responseBytes: SizeSummary
    /// Calls that came from the dashboard's explorer.
    public var dashboardCalls: UInt64
    /// Of the errors, those that were the client's mistake (see docs/errors.md).
    public var clientErrors: UInt64? = nil
    /// Of the errors, the server's (or the transport's).
    public var serverErrors: UInt64? = nil
    /// Interim rounds (`input_required`, `task`) among the calls: neither ok nor errors.
    public var interimRounds: UInt64? = nil
    /// Logical calls, once one took more than one round trip; round trips stay in the figures above.
    public var logical: LogicalCallReport? = nil
}

/// One target with its per-second series: what `/api/tools/{name}` serves.
public struct TargetDetail: Codable, Sendable, Equatable {
    /// The target's statistics.
    public var target: TargetReport
    /// One point per second, oldest first.
    public var series: [SeriesPoint]
    /// Its latency distribution since the start: calls per Prometheus bucket (not cumulative), the last one
    /// above every bound.
    public var buckets: [BucketCount]
    /// Its last failures (at most 10), newest first.
    public var recentErrors: [LastError]

    /// Creates a detail.
    public init(target: TargetReport, series: [SeriesPoint], buckets: [BucketCount] = [], recentErrors: [LastError] = []) {
        self.target = target
        self.series = series
        self.buckets = buckets
        self.recentErrors = recentErrors
    }
}

/// Calls whose duration falls in one bucket.
public struct BucketCount: Codable, Sendable, Equatable {
    /// The bucket's upper bound in ms (calls above the previous bound, at most this); null for the last one, above
    /// every bound.
    public var leMs: Double?
    /// How many calls.
    public var count: UInt64
}

/// One second of calls.
public struct SeriesPoint: Codable, Sendable, Equatable {
    /// The second's start.
    public var time: Date
    /// Calls that finished in it.
    public var calls: UInt32
    /// Of which failed.
    public var errors: UInt32
    /// Their mean latency in ms; null without calls.
    public var avgMs: Double?
    /// The slowest of them in ms; null without calls.
    public var maxMs: Double?
}

/// The most recent failure of a target.
public struct LastError: Codable, Sendable, Equatable {
    /// The error message or the tool's error text, truncated.
    public var message: String
    /// Its `error.type`.
    public var type: String
    /// When it happened.
    public var at: Date
}

/// The last calls of a target (at most 100).
public struct RecentSummary: Codable, Sendable, Equatable {
    /// How many calls the window holds.
    public var calls: Int
    /// Percent that ended `ok`; null when none.
    public var successRate: Double?
    /// Their mean latency in ms; null when none.
    public var avgMs: Double?
}

/// Sizes of messages in bytes.
public struct SizeSummary: Codable, Sendable, Equatable {
    /// Sum.
    public var total: UInt64
    /// Mean; null when none.
    public var avg: Double?
    /// Largest.
    public var max: Int
}

/// How many notifications of one method passed one way.
public struct NotificationCount: Codable, Sendable, Equatable {
    /// The notification's method.
    public var method: String
    /// Which way.
    public var direction: Direction
    /// How many.
    public var count: UInt64
}

/// Frames that were not clean JSON-RPC: they were relayed (unless oversized) and counted.
public struct AnomalyReport: Codable, Sendable, Equatable {
    /// All anomalies.
    public var total: UInt64
    /// Per kind (`invalid_json`, `invalid_utf8`, `unknown_response_id`, ...).
    public var byKind: [String: UInt64]
    /// The most recent one.
    public var last: AnomalySample?
}

/// One anomaly, for diagnosis.
public struct AnomalySample: Codable, Sendable, Equatable {
    /// Its kind.
    public var kind: AnomalyKind
    /// Which way the frame travelled.
    public var direction: Direction
    /// When.
    public var at: Date
    /// The start of the frame, made printable, at most 200 characters.
    public var sample: String?
}

/// RFC 3339 timestamps with milliseconds, in UTC.
public enum RFC3339 {
    /// Formats a date: `2026-11-23T10:15:30.123Z` (milliseconds truncated, as Foundation's ISO 8601 style does).
    ///
    /// By hand with `gmtime_r`: a report formats two dates per target, and Foundation's format style took
    /// microseconds each.
    public static func string(from date: Date) -> String {
        let t = date.timeIntervalSince1970
        guard t.isFinite, abs(t) < 253_402_300_800 else { return foundationString(from: date) }
        var seconds = Int(t.rounded(.down))
        var millis = Int(((t - Double(seconds)) * 1_000).rounded(.down))
        if millis >= 1_000 { seconds += 1; millis -= 1_000 }
        var time = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil, parts.tm_year + 1900 >= 0 else { return foundationString(from: date) }
        var out = [UInt8](repeating: 0, count: 24)
        func put(_ value: Int, at offset: Int, digits: Int) {
            var v = value
            for i in stride(from: offset + digits - 1, through: offset, by: -1) {
                out[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
        }
        put(Int(parts.tm_year) + 1900, at: 0, digits: 4); out[4] = UInt8(ascii: "-")
        put(Int(parts.tm_mon) + 1, at: 5, digits: 2); out[7] = UInt8(ascii: "-")
        put(Int(parts.tm_mday), at: 8, digits: 2); out[10] = UInt8(ascii: "T")
        put(Int(parts.tm_hour), at: 11, digits: 2); out[13] = UInt8(ascii: ":")
        put(Int(parts.tm_min), at: 14, digits: 2); out[16] = UInt8(ascii: ":")
        put(Int(parts.tm_sec), at: 17, digits: 2); out[19] = UInt8(ascii: ".")
        put(millis, at: 20, digits: 3); out[23] = UInt8(ascii: "Z")
        return String(decoding: out, as: UTF8.self)
    }

    /// Foundation's formatting, for dates outside the years 0 to 9999.
    static func foundationString(from date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    /// Parses a date with or without fractional seconds.
    public static func date(from text: String) -> Date? {
        if let d = try? Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)) { return d }
        return try? Date(text, strategy: .iso8601)
    }
}

import Foundation

/// A server the store knows, with its figures over a window (``StoreReader/servers(window:now:)``).
public struct StoredServer: Codable, Sendable, Equatable {
    /// Its name.
    public var name: String
    /// What named it: `name` (`--name`), `serverInfo`, or `command`.
    public var namedBy: String
    /// Its command line or upstream URL, as last seen.
    public var command: String?
    /// First and last time a proxy of it wrote.
    public var firstSeen: Date
    /// Last time a proxy of it wrote.
    public var lastSeen: Date
    /// Whether an instance is running now (not ended, and written within the last 15 s).
    public var running: Bool
    /// Instances (runs) recorded.
    public var instances: Int
    /// Calls, failed calls and the 95th percentile (ms) over the window.
    public var calls: UInt64
    /// Failed calls over the window.
    public var errors: UInt64
    /// p95 in ms over the window, from the summed histograms; nil without calls.
    public var p95Ms: Double?
    /// The running instances' Unix sockets (registered by the fleet), if any.
    public var sockets: [String]
}

/// One run of a proxy (``StoreReader/instances(server:)``).
public struct StoredInstance: Codable, Sendable, Equatable {
    /// The store's id.
    public var id: Int64
    /// The server's name.
    public var server: String
    /// mcpwatch's process id.
    public var pid: Int
    /// The host it ran on.
    public var host: String?
    /// The server's process id, when mcpwatch started it.
    public var serverPid: Int?
    /// `stdio`, `reverse-proxy`, `stdio-front`, `bridge`, `demo`.
    public var mode: String
    /// `pipe` or `tcp`.
    public var transport: String
    /// When it started.
    public var startedAt: Date
    /// Its last write.
    public var lastFlush: Date
    /// When it ended (nil: running, or killed before its last flush).
    public var endedAt: Date?
    /// How the server ended (`exited with status 0`), when known.
    public var exitStatus: String?
    /// Its Unix socket, when registered.
    public var socket: String?
}

/// One target's figures over a range (``StoreReader/report(server:since:until:)``).
public struct StoredTargetFigures: Codable, Sendable, Equatable {
    /// The method.
    public var method: String
    /// The tool, prompt or resource ('' for none).
    public var target: String
    /// Calls finished.
    public var calls: UInt64
    /// Failed calls.
    public var errors: UInt64
    /// Calls per outcome.
    public var outcomes: [String: UInt64]
    /// Failed calls per `error.type`.
    public var errorTypes: [String: UInt64]
    /// Mean, in ms.
    public var avgMs: Double?
    /// Percentiles in ms, from summed histograms.
    public var p50Ms: Double?
    /// 90th percentile.
    public var p90Ms: Double? = nil
    /// 95th percentile.
    public var p95Ms: Double?
    /// 99th percentile.
    public var p99Ms: Double?
    /// 99.9th percentile.
    public var p999Ms: Double? = nil
    /// Slowest call, in ms (to within 1 %).
    public var maxMs: Double?
    /// Request and response bytes.
    public var requestBytes: UInt64
    /// Response bytes.
    public var responseBytes: UInt64
}

/// One server's figures over a range.
public struct StoredServerReport: Codable, Sendable, Equatable {
    /// The server's name.
    public var server: String
    /// The range.
    public var since: Date
    /// The range's end.
    public var until: Date
    /// The table the figures came from: `seconds`, `minutes` or `hours`.
    public var resolution: String
    /// All targets together.
    public var total: StoredTargetFigures
    /// Per target, busiest first.
    public var targets: [StoredTargetFigures]
    /// What traffic control did in the server's place over the range (nil when it was not configured).
    public var traffic: StoredTrafficFigures? = nil
}

/// A time series of one server (or one of its targets) at the resolution the store keeps for the range.
public struct StoredSeries: Codable, Sendable, Equatable {
    /// One bucket.
    public struct Point: Codable, Sendable, Equatable {
        /// The bucket's start.
        public var time: Date
        /// Calls in it.
        public var calls: UInt64
        /// Failed calls in it.
        public var errors: UInt64
        /// Mean in ms.
        public var avgMs: Double?
        /// Median in ms.
        public var p50Ms: Double?
        /// 95th percentile in ms.
        public var p95Ms: Double?
        /// 99th percentile in ms.
        public var p99Ms: Double?
        /// Slowest call in ms (to within 1 %).
        public var maxMs: Double? = nil
    }

    /// The server.
    public var server: String
    /// Bucket width in seconds.
    public var resolutionSeconds: Int
    /// The table the buckets were summed from: `seconds`, `minutes` or `hours`.
    public var table: String = "seconds"
    /// Buckets with calls, oldest first.
    public var points: [Point]
}

/// What ``StoreReader/calls(_:)`` looks for.
public struct CallQuery: Sendable, Equatable {
    /// Only this server's calls.
    public var server: String?
    /// Only calls to this tool, prompt, resource (or method, for calls without a target).
    public var target: String?
    /// Only this outcome (`ok`, `jsonrpc_error`, `tool_error`, `cancelled`, `lost`), or `error` for every failure.
    public var outcome: String?
    /// Only calls that finished at or after this.
    public var since: Date?
    /// Only calls that finished before this.
    public var until: Date?
    /// Only calls at least this long, in ms.
    public var minDurationMs: Double?
    /// Order: newest first (`time`) or slowest first (`duration`).
    public var sortByDuration = false
    /// One call by its id.
    public var id: Int64?
    /// At most this many (1 to 1000).
    public var limit = 100

    /// An empty query: the last 100 calls of every server.
    public init() {}
}

/// One row of the call log.
public struct StoredCall: Codable, Sendable, Equatable {
    /// The store's id.
    public var id: Int64
    /// When it finished.
    public var time: Date
    /// The server.
    public var server: String
    /// The client's name and version, when known.
    public var client: String?
    /// The method.
    public var method: String
    /// The tool, prompt or resource, when there is one.
    public var target: String?
    /// From request to response, in ms.
    public var durationMs: Double
    /// Round trips of a logical call (1 until logical calls are recorded).
    public var rounds: Int
    /// How it ended.
    public var outcome: String
    /// The JSON-RPC error code.
    public var errorCode: Int?
    /// The error message or tool error text, truncated.
    public var errorMessage: String?
    /// Request size in bytes.
    public var requestBytes: Int
    /// Response size in bytes.
    public var responseBytes: Int
    /// The request's params, when `store.capture` asked.
    public var arguments: String?
    /// The answer, when `store.capture` is `full`.
    public var result: String?
}

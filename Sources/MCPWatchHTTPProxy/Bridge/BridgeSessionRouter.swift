import MCPWatchCore

/// Which POST of a bridge session owns which request, and where the server's other messages go, as a state machine
/// with no I/O and time passed in: ``BridgeSession`` keeps one behind its lock and carries out what it answers.
///
/// A response goes to the POST (`Exchange`) that carried its request; a progress notification to the POST whose
/// request named its token; anything else (a log message, a server request) to the newest POST that is still
/// streaming, else to the standalone GET stream, else to a bounded backlog that the next GET stream gets first.
struct BridgeSessionRouter<Exchange: AnyObject & Sendable>: Sendable {
    /// Where a server message that answers no request goes.
    enum Delivery: Sendable {
        /// Onto this POST's SSE answer.
        case exchange(Exchange)
        /// Onto the GET stream.
        case standalone
        /// Into the backlog (the oldest message was dropped to make room when `dropped`).
        case backlog(dropped: Bool)
    }

    /// Most server messages kept for a client that has no stream open.
    let backlogLimit: Int
    private var exchanges: [JSONRPCID: Exchange] = [:]
    /// Requests each POST still waits for.
    private var open: [ObjectIdentifier: Int] = [:]
    /// Progress token (its JSON text) -> the POST whose request named it, and back.
    private var progress: [String: Exchange] = [:]
    private var tokens: [JSONRPCID: String] = [:]
    private var latestStreaming: Exchange?
    private(set) var hasStandalone = false
    private(set) var backlog: [[UInt8]] = []
    private(set) var isEnded = false
    /// Messages dropped because the client read its GET stream too slowly (or had none, past the backlog's limit).
    private(set) var dropped = 0
    private var lastActive: ContinuousClock.Instant
    private var lastStreamWrite: ContinuousClock.Instant

    /// Creates the routes of a session that starts at `now`.
    init(backlogLimit: Int = 1_000, now: ContinuousClock.Instant) {
        self.backlogLimit = backlogLimit
        lastActive = now
        lastStreamWrite = now
    }

    /// Whether some request waits for its answer.
    var isWaiting: Bool { !exchanges.isEmpty }

    /// Whether a POST still waits for some of its requests' answers.
    func isOpen(_ exchange: Exchange) -> Bool { open[ObjectIdentifier(exchange), default: 0] > 0 }

    // MARK: Requests

    /// A request came from the client (for the idle timeout).
    mutating func touch(at now: ContinuousClock.Instant) { lastActive = now }

    /// A POST's requests wait for their answers (registered before they are sent: an answer can come back at once).
    /// - Parameter streams: whether the POST's answer may become an SSE stream (so server messages can go on it).
    /// - Returns: false when the session has ended.
    mutating func register(_ exchange: Exchange, streams: Bool, requests: [(id: JSONRPCID, progressToken: String?)]) -> Bool {
        guard !isEnded else { return false }
        for request in requests {
            if let earlier = exchanges.updateValue(exchange, forKey: request.id) { close(1, of: earlier) }
            open[ObjectIdentifier(exchange), default: 0] += 1
            if let token = request.progressToken {
                progress[token] = exchange
                tokens[request.id] = token
            }
        }
        if streams { latestStreaming = exchange }
        return true
    }

    /// Takes the POST that waits for this request's answer (the answer came, or will not): nil when none does.
    mutating func take(_ id: JSONRPCID) -> Exchange? {
        guard let exchange = exchanges.removeValue(forKey: id) else { return nil }
        close(1, of: exchange)
        if let token = tokens.removeValue(forKey: id), progress[token] === exchange {
            progress.removeValue(forKey: token)
        }
        return exchange
    }

    /// The POST whose request named this progress token.
    func exchange(forProgressToken token: String) -> Exchange? { progress[token] }

    /// Takes the requests that `isOverdue` says have waited too long, grouped by the POST that carries them.
    mutating func takeOverdue(_ isOverdue: (Exchange) -> Bool) -> [(Exchange, [JSONRPCID])] {
        let overdue = Self.byExchange(exchanges.filter { isOverdue($0.value) })
        for (_, ids) in overdue { for id in ids { _ = take(id) } }
        return overdue
    }

    /// Whether nothing waits for an answer and no request came for `idle`.
    func isIdle(for idle: Duration, now: ContinuousClock.Instant) -> Bool {
        exchanges.isEmpty && now - lastActive >= idle
    }

    // MARK: The server's other messages

    /// Where a server message that answers no request goes; a backlogged one is kept here.
    mutating func deliverUnrelated(_ bytes: [UInt8], at now: ContinuousClock.Instant) -> Delivery {
        if let exchange = latestStreaming, isOpen(exchange) { return .exchange(exchange) }
        latestStreaming = nil
        if hasStandalone {
            lastStreamWrite = now
            return .standalone
        }
        var droppedOne = false
        if backlog.count >= backlogLimit {
            backlog.removeFirst()
            dropped += 1
            droppedOne = true
        }
        backlog.append(bytes)
        return .backlog(dropped: droppedOne)
    }

    /// The GET stream could not take a message (its reader is too slow).
    mutating func streamDropped() { dropped += 1 }

    /// Opens the GET stream (one per session).
    /// - Returns: the backlog, to send on it first; nil when one is open already or the session has ended.
    mutating func openStandalone(at now: ContinuousClock.Instant) -> [[UInt8]]? {
        guard !isEnded, !hasStandalone else { return nil }
        hasStandalone = true
        lastStreamWrite = now
        defer { backlog.removeAll() }
        return backlog
    }

    /// The GET stream has closed (the client went, or mcpwatch ended it).
    mutating func closeStandalone() { hasStandalone = false }

    /// Whether a quiet GET stream is due a keep-alive comment; if so, it counts as written now.
    mutating func keepAliveDue(after quiet: Duration, now: ContinuousClock.Instant) -> Bool {
        guard hasStandalone, now - lastStreamWrite >= quiet else { return false }
        lastStreamWrite = now
        return true
    }

    // MARK: Ending

    /// Ends the session: returns every request still waiting, grouped by its POST; nothing is routed from now on.
    mutating func end() -> [(Exchange, [JSONRPCID])] {
        isEnded = true
        let waiting = Self.byExchange(exchanges)
        exchanges.removeAll()
        open.removeAll()
        progress.removeAll()
        tokens.removeAll()
        latestStreaming = nil
        backlog.removeAll()
        hasStandalone = false
        return waiting
    }

    private mutating func close(_ count: Int, of exchange: Exchange) {
        let key = ObjectIdentifier(exchange)
        let left = open[key, default: 0] - count
        open[key] = left > 0 ? left : nil
    }

    /// Waiting requests grouped by the POST that carries them (each POST answers its own with one failure).
    private static func byExchange(_ exchanges: [JSONRPCID: Exchange]) -> [(Exchange, [JSONRPCID])] {
        var groups: [ObjectIdentifier: (Exchange, [JSONRPCID])] = [:]
        for (id, exchange) in exchanges { groups[ObjectIdentifier(exchange), default: (exchange, [])].1.append(id) }
        return Array(groups.values)
    }
}

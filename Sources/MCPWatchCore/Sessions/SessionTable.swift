import Foundation
import Synchronization

/// One transport session (a Streamable HTTP `Mcp-Session-Id`): who it is, and how its calls went.
public struct SessionSummary: Codable, Sendable, Equatable {
    /// The `Mcp-Session-Id` the server assigned.
    public var id: String
    /// The client's `clientInfo` from `initialize`, when seen on this session.
    public var client: PeerInfo?
    /// The protocol version the server answered `initialize` with.
    public var protocolVersion: String?
    /// Calls from the client finished on this session.
    public var calls: UInt64
    /// Of those, the ones that did not end `ok`.
    public var errors: UInt64
    /// When mcpwatch first saw the session.
    public var startedAt: Date
    /// When the session last carried a message.
    public var lastSeen: Date
    /// Whether the session was ended (`DELETE`, or the server forgot it).
    public var closed: Bool
}

/// The last few sessions, each with its client and call counts: per-session figures without session ids as metric
/// labels (which would be unbounded). At most `capacity` are kept; a new one evicts a closed session first, else
/// the one seen least recently.
public final class SessionTable: Sendable {
    private struct State: Sendable {
        var sessions: [String: SessionSummary] = [:]
        var opened: UInt64 = 0
        /// How long the ended sessions lasted, per protocol version ("" when unknown), for
        /// `mcp_server_session_duration_seconds`: kept apart from `sessions`, so eviction loses none.
        var durations: [String: DurationBuckets] = [:]
        /// The kept sessions whose duration was counted: a session reopened and closed again counts once.
        var counted: Set<String> = []
    }

    /// Most sessions kept.
    public let capacity: Int
    private let clock: any WatchClock
    private let state = Mutex(State())

    /// Creates a table.
    public init(capacity: Int = 100, clock: any WatchClock = SystemWatchClock()) {
        self.capacity = max(1, capacity)
        self.clock = clock
    }

    /// Starts a session, or refreshes (and reopens) a known one.
    public func open(id: String, client: PeerInfo? = nil, protocolVersion: String? = nil) {
        let now = clock.wallNow()
        let capacity = capacity
        state.withLock { state in
            if state.sessions[id] != nil {
                // Seen carrying messages again: open (mcpwatch may have dropped its recorder, the server did not).
                state.sessions[id]?.closed = false
                state.sessions[id]?.lastSeen = now
                if let client { state.sessions[id]?.client = client }
                if let protocolVersion { state.sessions[id]?.protocolVersion = protocolVersion }
                return
            }
            if state.sessions.count >= capacity, let victim = state.sessions.values.min(by: {
                $0.closed != $1.closed ? $0.closed : $0.lastSeen < $1.lastSeen
            }) {
                state.sessions[victim.id] = nil
                state.counted.remove(victim.id)
            }
            state.opened &+= 1
            state.sessions[id] = SessionSummary(
                id: id, client: client, protocolVersion: protocolVersion, calls: 0, errors: 0, startedAt: now, lastSeen: now,
                closed: false)
        }
    }

    /// Sets what `initialize` told about a session (ignored for a session not in the table).
    public func update(id: String, client: PeerInfo?, protocolVersion: String?) {
        state.withLock { state in
            if let client { state.sessions[id]?.client = client }
            if let protocolVersion { state.sessions[id]?.protocolVersion = protocolVersion }
        }
    }

    /// Counts one finished call on a session.
    public func recordCall(id: String, failed: Bool) {
        let now = clock.wallNow()
        state.withLock { state in
            guard state.sessions[id] != nil else { return }
            state.sessions[id]!.calls &+= 1
            if failed { state.sessions[id]!.errors &+= 1 }
            state.sessions[id]!.lastSeen = now
        }
    }

    /// Marks a session ended; it stays listed until evicted. The first close of an open session counts its
    /// duration (first seen to now) in ``durations``.
    public func close(id: String) {
        let now = clock.wallNow()
        state.withLock { state in
            guard let session = state.sessions[id] else { return }
            if !session.closed, state.counted.insert(id).inserted {
                let nanos = UInt64(max(0, now.timeIntervalSince(session.startedAt)) * 1e9)
                state.durations[session.protocolVersion ?? "", default: DurationBuckets()].add(micros: nanos / 1_000, nanos: nanos)
            }
            state.sessions[id]?.closed = true
            state.sessions[id]?.lastSeen = now
        }
    }

    /// How long the ended sessions lasted, per protocol version (`""` when it was never learnt), sorted by version.
    public var durations: [(protocolVersion: String, buckets: DurationBuckets)] {
        state.withLock { $0.durations }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Sessions open now (among those kept).
    public var openCount: Int { state.withLock { $0.sessions.values.reduce(0) { $0 + ($1.closed ? 0 : 1) } } }

    /// Sessions ever opened.
    public var totalOpened: UInt64 { state.withLock { $0.opened } }

    /// The sessions kept, the most recently seen first.
    public func summaries() -> [SessionSummary] {
        state.withLock { Array($0.sessions.values) }.sorted { $0.lastSeen != $1.lastSeen ? $0.lastSeen > $1.lastSeen : $0.id < $1.id }
    }
}

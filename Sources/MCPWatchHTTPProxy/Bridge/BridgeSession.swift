import Foundation
import MCPWatchCore
import Synchronization

/// One Streamable HTTP session at the stdio bridge: its recorder, the requests it waits for, its standalone SSE
/// stream, and where its messages go (a child of its own, or the shared one).
///
/// The server's messages arrive through ``receive(_:inspector:)``, already with the client's ids, and go where
/// ``BridgeSessionRouter`` says: a response to the POST that carried its request, a progress notification to the
/// POST whose request named its token, anything else to the newest streaming POST, the GET stream or the backlog.
final class BridgeSession: Sendable {
    /// The `Mcp-Session-Id` (for a 2026-07-28 POST, which has no session, an id of mcpwatch's own for routing).
    let id: String
    /// Whether this is a real session, listed in `/api/sessions` (false: one 2026-07-28 POST, which has none).
    let isSession: Bool
    /// Measures this session's calls.
    let recorder: TrafficRecorder
    /// Takes the answers to the dashboard explorer's requests out of this session's server output.
    let tap: ExplorerTap?
    /// Traffic control, shown each message from the server after it is measured (nil without a `traffic` configuration).
    let gate: TrafficGate?
    /// Where the POSTs held by the gate wait.
    let held: TrafficHeldCalls?
    private let state: Mutex<State>

    /// Most server messages kept for a client that has no stream open.
    static let backlogLimit = 1_000

    private struct State {
        var child: BridgeChild?
        var routes: BridgeSessionRouter<BridgeExchange>
        var standalone: AsyncStream<[UInt8]>.Continuation?
    }

    /// - Parameter isSession: false for one 2026-07-28 POST: its calls are measured, but no session is listed.
    init(id: String, store: MetricsStore, tap: ExplorerTap? = nil, isSession: Bool = true,
         gate: TrafficGate? = nil, held: TrafficHeldCalls? = nil) {
        self.gate = gate
        self.held = held
        self.id = id
        self.tap = tap
        self.isSession = isSession
        recorder = TrafficRecorder(store: store)
        if isSession { recorder.bind(sessionID: id) }
        state = Mutex(State(routes: BridgeSessionRouter(backlogLimit: Self.backlogLimit, now: .now)))
    }

    /// The child process of its own (per-session mode).
    var child: BridgeChild? {
        get { state.withLock { $0.child } }
        set { state.withLock { $0.child = newValue } }
    }

    /// Notes a request from the client (for the idle timeout).
    func touch() { state.withLock { $0.routes.touch(at: .now) } }

    /// Server messages dropped because the client read its GET stream too slowly.
    var droppedMessages: Int { state.withLock { $0.routes.dropped } }

    /// Whether the session has been ended.
    var isEnded: Bool { state.withLock { $0.routes.isEnded } }

    /// Expects answers to these requests (before they are sent, since an answer can come back at once).
    /// - Returns: false when the session has ended meanwhile.
    func register(_ exchange: BridgeExchange, requests: [(id: JSONRPCID, progressToken: String?)]) -> Bool {
        state.withLock { $0.routes.register(exchange, streams: exchange.streams, requests: requests) }
    }

    /// Takes back requests that will not be answered (not sent, timed out): the ones still waiting.
    func take(_ ids: [JSONRPCID]) -> [JSONRPCID] {
        state.withLock { state in ids.filter { state.routes.take($0) != nil } }
    }

    /// The client cancelled these requests (`notifications/cancelled`): their POSTs end now, with an error that the
    /// client ignores (the specification lets a server send no answer at all, which would leave the POST open).
    /// - Returns: the ids that were still waiting.
    func cancel(_ ids: [JSONRPCID]) -> [JSONRPCID] {
        let cancelled = state.withLock { state in ids.compactMap { id in state.routes.take(id).map { (id, $0) } } }
        for (id, exchange) in cancelled {
            exchange.fail(ids: [id], code: Self.requestCancelled, message: "Request cancelled by the client (notifications/cancelled)", status: .ok)
        }
        return cancelled.map(\.0)
    }

    /// The error code for a cancelled request (as LSP and the MCP TypeScript SDK use it).
    static let requestCancelled = -32800

    // MARK: From the server

    /// Measures one message from the server (ids already the client's) and routes it.
    func receive(_ line: UnsafeRawBufferPointer, inspector: inout MessageInspector) {
        if let tap, tap.take(line, inspector: &inspector) { return }
        let inspected = recorder.observeInspecting(frame: line, direction: .serverToClient, at: recorder.store.clock.now(), inspector: &inspector)
        if let gate {
            let (relay, actions) = gate.fromServer(frame: line, inspected: inspected, session: id, now: recorder.store.clock.now())
            held?.resolve(actions)
            if !relay { return }
        }
        let bytes = [UInt8](line)
        if case .message(let info) = inspected {
            switch info.kind {
            case .result, .error:
                // An answer nobody waits for any more (its POST timed out, or the session ended) is dropped here;
                // the recorder has counted it as late.
                if let id = info.id, let exchange = state.withLock({ $0.routes.take(id) }) {
                    exchange.answer(bytes)
                }
                return
            case .notification where info.method == "notifications/progress":
                if let token = Self.progressToken(in: line, path: Self.notificationTokenPath),
                   let exchange = state.withLock({ $0.routes.exchange(forProgressToken: token) }), exchange.streams {
                    exchange.push(bytes)
                    return
                }
            default:
                break
            }
        }
        deliverUnrelated(bytes)
    }

    /// A server line over the size limit: if it answered a pending request, that request gets an error instead.
    func receiveOversized(prefix: UnsafeRawBufferPointer, length: Int, limit: Int, inspector: inout MessageInspector) {
        let verdict = recorder.observeOversized(prefix: prefix, length: length, limit: limit, direction: .serverToClient,
                                                at: recorder.store.clock.now(), inspector: &inspector)
        if case .failPendingRequest(let id, let message) = verdict, let exchange = state.withLock({ $0.routes.take(id) }) {
            exchange.fail(ids: [id], code: JSONRPCErrorCode.responseTooLarge, message: message)
        }
    }

    /// A server message that answers no request of a POST: to the newest streaming POST, else the GET stream, else
    /// the backlog.
    func deliverUnrelated(_ bytes: [UInt8]) {
        let target: BridgeExchange? = state.withLock { state in
            switch state.routes.deliverUnrelated(bytes, at: .now) {
            case .exchange(let exchange):
                return exchange
            case .standalone:
                if let stream = state.standalone, case .dropped = stream.yield(MCPEndpoint.event(bytes)) { state.routes.streamDropped() }
                return nil
            case .backlog:
                return nil
            }
        }
        target?.push(bytes)
    }

    // MARK: The standalone stream

    /// Opens the GET stream (the backlog first), or nil when one is open already (one per session).
    func openStandalone() -> AsyncStream<[UInt8]>? {
        let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .bufferingOldest(Self.backlogLimit))
        let opened = state.withLock { state -> Bool in
            guard let backlog = state.routes.openStandalone(at: .now) else { return false }
            state.standalone = continuation
            for line in backlog { continuation.yield(MCPEndpoint.event(line)) }
            return true
        }
        guard opened else { return nil }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { state in
                state.standalone = nil
                state.routes.closeStandalone()
            }
        }
        return stream
    }

    /// Ends the GET stream, if one is open (graceful shutdown: it carries no answers, and would keep the server open);
    /// what the server sends from now on waits in the backlog.
    func endStandalone() {
        let stream = state.withLock { state -> AsyncStream<[UInt8]>.Continuation? in
            defer {
                state.standalone = nil
                state.routes.closeStandalone()
            }
            return state.standalone
        }
        stream?.finish()
    }

    /// Sends a comment on a quiet GET stream so that intermediaries keep it open.
    func keepAlive(after quiet: Duration) {
        state.withLock { state in
            guard let stream = state.standalone, state.routes.keepAliveDue(after: quiet, now: .now) else { return }
            stream.yield(Array(": keep-alive\n\n".utf8))
        }
    }

    // MARK: Ending

    /// Requests that have heard nothing for `timeout`: taken, and answered with an error by their POST.
    /// - Returns: their ids.
    func expire(timeout: Duration, now: ContinuousClock.Instant) -> [JSONRPCID] {
        let overdue = state.withLock { state in
            state.routes.takeOverdue { now - $0.started >= timeout && $0.isSilent }
        }
        for (exchange, ids) in overdue {
            let text = "MCP server did not answer within \(timeout) (--upstream-timeout)"
            _ = recorder.lose(ids: ids, reason: text, at: recorder.store.clock.now())
            exchange.fail(ids: ids, code: JSONRPCErrorCode.upstreamUnavailable, message: text, status: .gatewayTimeout)
        }
        return overdue.flatMap(\.1)
    }

    /// Whether nothing waits for an answer and no request came for `idle`.
    func isIdle(for idle: Duration, now: ContinuousClock.Instant) -> Bool {
        state.withLock { $0.routes.isIdle(for: idle, now: now) }
    }

    /// Ends the session: every waiting request is answered with this error (its call recorded as lost), the GET
    /// stream ends.
    func end(code: Int, message: String) {
        let (waiting, stream) = state.withLock { state -> ([(BridgeExchange, [JSONRPCID])], AsyncStream<[UInt8]>.Continuation?) in
            defer { state.standalone = nil }
            return (state.routes.end(), state.standalone)
        }
        _ = recorder.serverGone(at: recorder.store.clock.now())
        for (exchange, ids) in waiting { exchange.fail(ids: ids, code: code, message: message) }
        stream?.finish()
        if isSession { recorder.store.sessions.close(id: id) }
    }

    // MARK: Helpers

    static let requestTokenPath = [Array("params".utf8), Array("_meta".utf8), Array("progressToken".utf8)]
    static let notificationTokenPath = [Array("params".utf8), Array("progressToken".utf8)]
    private static let tokenKey = Array("progressToken".utf8)

    /// The JSON text of a progress token at `path`, looked for only when the bytes mention one.
    static func progressToken(in line: UnsafeRawBufferPointer, path: [[UInt8]]) -> String? {
        guard mentions(tokenKey, in: line), let range = JSONValueLocator.range(of: path, in: line) else { return nil }
        return String(decoding: line[range], as: UTF8.self)
    }

    /// Whether `needle` occurs in `bytes` (a quick test before a walk through the JSON).
    static func mentions(_ needle: [UInt8], in bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress, let first = needle.first, bytes.count >= needle.count else { return false }
        var offset = 0
        let last = bytes.count - needle.count
        while offset <= last, let hit = memchr(base + offset, Int32(first), last - offset + 1) {
            let at = base.distance(to: UnsafeRawPointer(hit))
            if needle.withUnsafeBytes({ memcmp(base + at, $0.baseAddress!, needle.count) }) == 0 { return true }
            offset = at + 1
        }
        return false
    }
}

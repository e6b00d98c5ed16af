import Foundation
import MCPWatchCore
import Synchronization

/// The one stdio server that all sessions share (`--shared-server`): reads each message once and carries out what
/// ``SharedServerRouter`` (the id rewriting that makes sharing safe, and where each message goes) decides.
final class SharedServer: Sendable {
    private struct State {
        var child: BridgeChild?
        var router = SharedServerRouter<BridgeSession>()
    }

    private let state = Mutex(State())
    private let store: MetricsStore
    private let tap: ExplorerTap?
    /// The server of the 2026-07-28 POSTs (each one a ``BridgeSession`` of its own that is no session): a message the
    /// server starts goes to the latest request's POST only, never to every one.
    let isStateless: Bool

    init(store: MetricsStore, tap: ExplorerTap? = nil, stateless: Bool = false) {
        self.store = store
        self.tap = tap
        isStateless = stateless
    }

    /// The sessions (or 2026-07-28 POSTs) that use the server now.
    var sessions: [BridgeSession] { state.withLock { $0.router.allSessions } }

    /// The running server, if started.
    var child: BridgeChild? { state.withLock { $0.child } }

    /// Installs a freshly started server (after the previous one exited: everything about it is forgotten).
    func attach(_ child: BridgeChild) {
        state.withLock { $0 = State(child: child) }
    }

    /// Forgets the server that exited; returns the sessions that used it.
    func detach(_ child: BridgeChild) -> [BridgeSession] {
        state.withLock { state in
            guard state.child === child else { return [] }
            let sessions = state.router.allSessions
            state = State()
            return sessions
        }
    }

    func add(_ session: BridgeSession) { state.withLock { $0.router.add(session, id: session.id) } }

    /// Forgets a session that ended, with whatever it still waited for.
    func remove(_ session: BridgeSession) {
        state.withLock { $0.router.remove(sessionID: session.id) }
    }

    /// Forgets requests whose answers nobody waits for any more (they timed out).
    func forget(_ ids: [JSONRPCID], of session: BridgeSession) {
        state.withLock { $0.router.forget(ids, of: session.id) }
    }

    // MARK: Client to server

    /// Sends one message of a session to the server, rewritten as needed.
    /// - Parameter message: one JSON-RPC message (an element of a batch, or the whole body), no line end.
    /// - Returns: false when the server no longer reads its input.
    func send(_ message: UnsafeRawBufferPointer, from session: BridgeSession) -> Bool {
        send(message, as: OutgoingMessage(in: message, range: 0..<message.count), from: session)
    }

    /// Sends one message of a session, already read (``OutgoingMessage``), to the server, rewritten as needed.
    func send(_ message: UnsafeRawBufferPointer, as fields: OutgoingMessage, from session: BridgeSession) -> Bool {
        let action: SharedServerRouter<BridgeSession>.ClientAction
        switch (fields.idRange, fields.method) {
        case (let idRange?, let method?):
            let id = OutgoingMessage.id(idRange, in: message)
            let token = fields.progressTokenRange.map { [UInt8](message[$0]) }
            let kept = method == "initialize" ? [UInt8](message) : []
            action = state.withLock { $0.router.request(id: id, method: method, progressToken: token, message: kept, from: session, sessionID: session.id) }
        case (nil, let method?):
            let cancelled = fields.cancelledIDRange.map { OutgoingMessage.id($0, in: message) }
            action = state.withLock { $0.router.notification(method: method, cancelledID: cancelled, sessionID: session.id) }
        default:
            // The client's answers to the server's own requests (ids the server chose).
            action = .write
        }
        switch action {
        case .write:
            return write(message)
        case .drop:
            return true
        case .forward(let number):
            return write(Self.renumbered(message, idRange: fields.idRange!, tokenRange: fields.progressTokenRange, number: number))
        case .writeCancellation(let number):
            return write(JSONValueLocator.replacing(fields.cancelledIDRange!, in: message, with: Array(String(number).utf8), newline: true))
        case .answer(let line):
            var inspector = MessageInspector()
            line.withUnsafeBytes { session.receive($0, inspector: &inspector) }
            return true
        }
    }

    /// A request with its id, and its progress token when it has one, replaced by mcpwatch's number (a line).
    static func renumbered(_ message: UnsafeRawBufferPointer, idRange: Range<Int>, tokenRange: Range<Int>?, number: Int) -> [UInt8] {
        let replacement = Array(String(number).utf8)
        if let tokenRange, tokenRange.lowerBound >= idRange.upperBound || tokenRange.upperBound <= idRange.lowerBound {
            // Replace the later range first so that the earlier one's offsets still hold.
            let (first, second) = tokenRange.lowerBound > idRange.lowerBound ? (tokenRange, idRange) : (idRange, tokenRange)
            let once = JSONValueLocator.replacing(first, in: message, with: replacement)
            return once.withUnsafeBytes { JSONValueLocator.replacing(second, in: $0, with: replacement, newline: true) }
        }
        return JSONValueLocator.replacing(idRange, in: message, with: replacement, newline: true)
    }

    private func write(_ message: UnsafeRawBufferPointer) -> Bool {
        var line = [UInt8](message)
        line.append(0x0A)
        return write(line)
    }

    /// Writes a line (newline included) as it is: mcpwatch's own requests, whose ids cannot collide with a client's.
    func write(_ line: [UInt8]) -> Bool {
        state.withLock({ $0.child })?.send(line) ?? false
    }

    // MARK: Server to client

    /// Routes one line from the server (on its reader thread) to the session it belongs to, with the client's ids.
    func receive(_ line: UnsafeRawBufferPointer, inspector: inout MessageInspector) {
        if let tap, tap.take(line, inspector: &inspector) { return }
        guard let fields = JSONValueLocator.idAndMethod(in: line) else {
            broadcast(line, inspector: &inspector)
            return
        }
        if fields.method == nil, let idRange = fields.id {
            let action = state.withLock { $0.router.response(number: Int(Self.text(line[idRange]))) }
            switch action {
            case .deliver(let route):
                let restored = JSONValueLocator.replacing(idRange, in: line, with: Array(route.id.json.utf8))
                restored.withUnsafeBytes { route.session.receive($0, inspector: &inspector) }
                if route.isInitialize { initialized(answer: line, idRange: idRange) }
            case .late:
                // A late answer to a request given up on (timed out, cancelled, its session ended) is dropped.
                break
            case .unknown:
                // An id mcpwatch never issued is the server's mistake.
                store.recordAnomaly(.unknownResponseID, direction: .serverToClient, at: store.clock.now(), sample: nil)
            }
            return
        }
        let method = fields.method.map { Self.text(line[$0]) }
        if method == "notifications/progress", let range = JSONValueLocator.range(of: BridgeSession.notificationTokenPath, in: line),
           let number = Int(Self.text(line[range])),
           let route = state.withLock({ $0.router.progress(number: number) }), let token = route.token {
            let restored = JSONValueLocator.replacing(range, in: line, with: token)
            restored.withUnsafeBytes { route.session.receive($0, inspector: &inspector) }
            return
        }
        if fields.id == nil, BridgeSession.mentions(Self.subscriptionKey, in: line),
           let range = JSONValueLocator.range(of: Self.subscriptionPath, in: line), let number = Int(Self.text(line[range])),
           let route = state.withLock({ $0.router.pending(number: number) }) {
            // A 2026-07-28 subscription's notification names its `subscriptions/listen` request: to that request's
            // client, with its id put back.
            let restored = JSONValueLocator.replacing(range, in: line, with: Array(route.id.json.utf8))
            restored.withUnsafeBytes { route.session.receive($0, inspector: &inspector) }
            return
        }
        let everyone = !isStateless && fields.id == nil
            && (method?.hasSuffix("/list_changed") == true || method == "notifications/resources/updated")
        switch state.withLock({ $0.router.message(everyone: everyone) }) {
        case .one(let session): session.receive(line, inspector: &inspector)
        case .every(let sessions): for session in sessions { session.receive(line, inspector: &inspector) }
        }
    }

    /// A line the server sent that concerns no session in particular (oversized answers included).
    func receiveOversized(prefix: UnsafeRawBufferPointer, length: Int, limit: Int, inspector: inout MessageInspector) {
        if let idRange = JSONValueLocator.idAndMethod(in: prefix)?.id,
           case .deliver(let route) = state.withLock({ $0.router.response(number: Int(Self.text(prefix[idRange]))) }) {
            let restored = JSONValueLocator.replacing(idRange, in: prefix, with: Array(route.id.json.utf8))
            restored.withUnsafeBytes { route.session.receiveOversized(prefix: $0, length: length, limit: limit, inspector: &inspector) }
            return
        }
        store.recordTraffic(direction: .serverToClient, bytes: length)
        store.recordAnomaly(.oversizedMessage, direction: .serverToClient, at: store.clock.now(), sample: nil)
    }

    private func broadcast(_ line: UnsafeRawBufferPointer, inspector: inout MessageInspector) {
        for session in state.withLock({ $0.router.allSessions }) {
            session.receive(line, inspector: &inspector)
        }
    }

    /// The server answered the first `initialize`: keep a success for the sessions to come; after a failure the next
    /// waiting session tries its own.
    private func initialized(answer line: UnsafeRawBufferPointer, idRange: Range<Int>) {
        let succeeded = JSONValueLocator.range(of: [Array("result".utf8)], in: line) != nil
        let waiters = state.withLock { $0.router.initializeAnswered(line: [UInt8](line), idRange: idRange, succeeded: succeeded) }
        for waiter in waiters where !waiter.session.isEnded {
            _ = waiter.message.withUnsafeBytes { send($0, from: waiter.session) }
        }
    }


    private static let subscriptionKey = Array("io.modelcontextprotocol/subscriptionId".utf8)
    private static let subscriptionPath = [Array("params".utf8), Array("_meta".utf8), subscriptionKey]

    /// A short value's text (a number, or a method name without its quotes).
    private static func text(_ bytes: Slice<UnsafeRawBufferPointer>) -> String {
        var slice = bytes
        if slice.first == UInt8(ascii: "\""), slice.count >= 2 { slice = slice.dropFirst().dropLast() }
        return String(decoding: slice, as: UTF8.self)
    }
}

import Foundation
import MCPWatchCore
import Synchronization

/// The one stdio server that all sessions share (`--shared-server`), and the id rewriting that makes sharing safe.
///
/// Two clients may both send request id `1`; the server must see distinct ids and each answer must reach the client
/// that asked. So each request goes to the server with a number of mcpwatch's own as its id (and as its progress
/// token, when it names one); the answer's id, and a progress notification's token, are put back before the session
/// sees them. `notifications/cancelled` is rewritten the same way. The server is initialized once, by the first
/// session: later sessions get the same `initialize` result (with their own id) from mcpwatch, and their
/// `notifications/initialized` goes no further.
///
/// Messages the server starts (a request such as `sampling/createMessage`, a log message) carry nothing that says
/// which client they are for: they go to the session that sent the latest request; `list_changed` and
/// `resources/updated` notifications go to every session.
final class SharedServer: Sendable {
    private struct Route {
        let session: BridgeSession
        let id: JSONRPCID
        let token: [UInt8]?
        let isInitialize: Bool
    }

    private enum Initialization {
        case none
        /// The first `initialize` is with the server; these wait for its result.
        case pending(waiters: [(session: BridgeSession, line: [UInt8])])
        /// The server's answer, with where its id sits.
        case done(line: [UInt8], idRange: Range<Int>)
    }

    private struct State {
        var child: BridgeChild?
        var next = 1
        var routes: [Int: Route] = [:]
        /// "session id, space, client's request id" -> the number the server knows it by (for cancellation).
        var numbers: [String: Int] = [:]
        var sessions: [String: BridgeSession] = [:]
        var lastSession: BridgeSession?
        var initialization = Initialization.none
        var initializedSent = false
    }

    private let state = Mutex(State())
    private let store: MetricsStore
    private let tap: ExplorerTap?

    init(store: MetricsStore, tap: ExplorerTap? = nil) {
        self.store = store
        self.tap = tap
    }

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
            let sessions = Array(state.sessions.values)
            state = State()
            return sessions
        }
    }

    func add(_ session: BridgeSession) { state.withLock { $0.sessions[session.id] = session } }

    /// Forgets a session that ended, with whatever it still waited for.
    func remove(_ session: BridgeSession) {
        state.withLock { state in
            state.sessions.removeValue(forKey: session.id)
            state.routes = state.routes.filter { $0.value.session !== session }
            let prefix = session.id + " "
            state.numbers = state.numbers.filter { !$0.key.hasPrefix(prefix) }
            if state.lastSession === session { state.lastSession = nil }
            if case .pending(let waiters) = state.initialization {
                state.initialization = .pending(waiters: waiters.filter { $0.session !== session })
            }
        }
    }

    /// Forgets requests whose answers nobody waits for any more (they timed out).
    func forget(_ ids: [JSONRPCID], of session: BridgeSession) {
        state.withLock { state in
            for id in ids {
                if let number = state.numbers.removeValue(forKey: session.id + " " + id.json) { state.routes.removeValue(forKey: number) }
            }
        }
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
        switch (fields.idRange, fields.method) {
        case (let idRange?, let method?):
            let id = OutgoingMessage.id(idRange, in: message)
            if method == "initialize" { return initialize(message, id: id, idRange: idRange, from: session) }
            return forward(message, id: id, idRange: idRange, tokenRange: fields.progressTokenRange, from: session, isInitialize: false)
        case (nil, "notifications/initialized"?):
            let first = state.withLock { state -> Bool in
                defer { state.initializedSent = true }
                return !state.initializedSent
            }
            return first ? write(message) : true
        case (nil, "notifications/cancelled"?):
            guard let range = fields.cancelledIDRange else { return write(message) }
            let key = session.id + " " + String(decoding: message[range], as: UTF8.self)
            // Unknown: already answered (or never sent); passing it on unchanged could cancel another client's call.
            guard let number = state.withLock({ $0.numbers[key] }) else { return true }
            return write(JSONValueLocator.replacing(range, in: message, with: Array(String(number).utf8), newline: true))
        default:
            // Other notifications, and the client's answers to the server's own requests (ids the server chose).
            return write(message)
        }
    }

    private func initialize(_ message: UnsafeRawBufferPointer, id: JSONRPCID, idRange: Range<Int>, from session: BridgeSession) -> Bool {
        enum Next { case forward, wait, answer([UInt8]) }
        let next = state.withLock { state -> Next in
            switch state.initialization {
            case .none:
                state.initialization = .pending(waiters: [])
                return .forward
            case .pending(var waiters):
                waiters.append((session, [UInt8](message)))
                state.initialization = .pending(waiters: waiters)
                return .wait
            case .done(let line, let range):
                return .answer(line.withUnsafeBytes { JSONValueLocator.replacing(range, in: $0, with: Array(id.json.utf8)) })
            }
        }
        switch next {
        case .forward:
            let tokenRange = OutgoingMessage(in: message, range: 0..<message.count).progressTokenRange
            return forward(message, id: id, idRange: idRange, tokenRange: tokenRange, from: session, isInitialize: true)
        case .wait:
            return true
        case .answer(let line):
            var inspector = MessageInspector()
            line.withUnsafeBytes { session.receive($0, inspector: &inspector) }
            return true
        }
    }

    private func forward(_ message: UnsafeRawBufferPointer, id: JSONRPCID, idRange: Range<Int>, tokenRange: Range<Int>?,
                         from session: BridgeSession, isInitialize: Bool) -> Bool {
        let number = state.withLock { state -> Int in
            let number = state.next
            state.next += 1
            state.routes[number] = Route(session: session, id: id, token: tokenRange.map { [UInt8](message[$0]) }, isInitialize: isInitialize)
            state.numbers[session.id + " " + id.json] = number
            state.lastSession = session
            return number
        }
        let replacement = Array(String(number).utf8)
        var line: [UInt8]
        if let tokenRange, tokenRange.lowerBound >= idRange.upperBound || tokenRange.upperBound <= idRange.lowerBound {
            // Replace the later range first so that the earlier one's offsets still hold.
            let (first, second) = tokenRange.lowerBound > idRange.lowerBound ? (tokenRange, idRange) : (idRange, tokenRange)
            let once = JSONValueLocator.replacing(first, in: message, with: replacement)
            line = once.withUnsafeBytes { JSONValueLocator.replacing(second, in: $0, with: replacement, newline: true) }
        } else {
            line = JSONValueLocator.replacing(idRange, in: message, with: replacement, newline: true)
        }
        return state.withLock({ $0.child })?.send(line) ?? false
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
            let (route, issued) = takeRoute(Int(Self.text(line[idRange])))
            guard let route else {
                // A late answer to a request given up on (timed out, cancelled, its session ended) is dropped; an id
                // mcpwatch never issued is the server's mistake.
                if !issued { store.recordAnomaly(.unknownResponseID, direction: .serverToClient, at: store.clock.now(), sample: nil) }
                return
            }
            let restored = JSONValueLocator.replacing(idRange, in: line, with: Array(route.id.json.utf8))
            restored.withUnsafeBytes { route.session.receive($0, inspector: &inspector) }
            if route.isInitialize { initialized(answer: line, idRange: idRange) }
            return
        }
        let method = fields.method.map { Self.text(line[$0]) }
        if method == "notifications/progress", let range = JSONValueLocator.range(of: BridgeSession.notificationTokenPath, in: line),
           let number = Int(Self.text(line[range])),
           let route = state.withLock({ $0.routes[number] }), let token = route.token {
            let restored = JSONValueLocator.replacing(range, in: line, with: token)
            restored.withUnsafeBytes { route.session.receive($0, inspector: &inspector) }
            return
        }
        let everyone = fields.id == nil && (method?.hasSuffix("/list_changed") == true || method == "notifications/resources/updated")
        if !everyone, let session = state.withLock({ $0.lastSession ?? $0.sessions.values.first }) {
            session.receive(line, inspector: &inspector)
        } else {
            broadcast(line, inspector: &inspector)
        }
    }

    /// A line the server sent that concerns no session in particular (oversized answers included).
    func receiveOversized(prefix: UnsafeRawBufferPointer, length: Int, limit: Int, inspector: inout MessageInspector) {
        if let idRange = JSONValueLocator.idAndMethod(in: prefix)?.id, let route = takeRoute(Int(Self.text(prefix[idRange]))).route {
            let restored = JSONValueLocator.replacing(idRange, in: prefix, with: Array(route.id.json.utf8))
            restored.withUnsafeBytes { route.session.receiveOversized(prefix: $0, length: length, limit: limit, inspector: &inspector) }
            return
        }
        store.recordTraffic(direction: .serverToClient, bytes: length)
        store.recordAnomaly(.oversizedMessage, direction: .serverToClient, at: store.clock.now(), sample: nil)
    }

    /// Takes the route of an answer's number; `issued` says whether mcpwatch ever gave out that number.
    private func takeRoute(_ number: Int?) -> (route: Route?, issued: Bool) {
        guard let number else { return (nil, false) }
        return state.withLock { state in
            guard let route = state.routes.removeValue(forKey: number) else { return (nil, number > 0 && number < state.next) }
            state.numbers.removeValue(forKey: route.session.id + " " + route.id.json)
            return (route, true)
        }
    }

    private func broadcast(_ line: UnsafeRawBufferPointer, inspector: inout MessageInspector) {
        for session in state.withLock({ Array($0.sessions.values) }) {
            session.receive(line, inspector: &inspector)
        }
    }

    /// The server answered the first `initialize`: keep a success for the sessions to come; after a failure the next
    /// waiting session tries its own.
    private func initialized(answer line: UnsafeRawBufferPointer, idRange: Range<Int>) {
        let succeeded = JSONValueLocator.range(of: [Array("result".utf8)], in: line) != nil
        let waiters = state.withLock { state -> [(session: BridgeSession, line: [UInt8])] in
            guard case .pending(let waiters) = state.initialization else { return [] }
            state.initialization = succeeded ? .done(line: [UInt8](line), idRange: idRange) : .none
            return waiters
        }
        for waiter in waiters where !waiter.session.isEnded {
            _ = waiter.line.withUnsafeBytes { send($0, from: waiter.session) }
        }
    }


    /// A short value's text (a number, or a method name without its quotes).
    private static func text(_ bytes: Slice<UnsafeRawBufferPointer>) -> String {
        var slice = bytes
        if slice.first == UInt8(ascii: "\""), slice.count >= 2 { slice = slice.dropFirst().dropLast() }
        return String(decoding: slice, as: UTF8.self)
    }
}

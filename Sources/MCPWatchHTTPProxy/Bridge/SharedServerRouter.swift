import MCPWatchCore

/// Where the messages of the one stdio server that all bridge sessions share (`--shared-server`) go, as a state
/// machine with no I/O: it is told what a message is and answers with what to do (``ClientAction``,
/// ``ResponseAction``, ``MessageAction``); ``SharedServer`` reads the bytes and carries the actions out.
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
/// `resources/updated` notifications go to every session. Not thread-safe by itself: the owner serialises access.
struct SharedServerRouter<Session: Sendable>: Sendable {
    /// A request the server has under one of mcpwatch's numbers.
    struct Route: Sendable {
        /// The session that sent it.
        let sessionID: String
        let session: Session
        /// The id the client gave it.
        let id: JSONRPCID
        /// The client's progress token (its JSON text), when the request named one.
        let token: [UInt8]?
        let isInitialize: Bool
    }

    /// What to do with a client's message.
    enum ClientAction: Sendable, Equatable {
        /// Write it with its id (and its progress token, when it has one) replaced by this number.
        case forward(number: Int)
        /// Write it unchanged.
        case write
        /// Write it with its `params.requestId` replaced by this number (a cancellation).
        case writeCancellation(number: Int)
        /// Write nothing: it has been taken care of (a second `notifications/initialized`, a cancellation of a
        /// request the server no longer has, or an `initialize` kept until the first one is answered).
        case drop
        /// Write nothing; hand the session this line as the server's answer (the first session's `initialize`
        /// result, with this session's id).
        case answer([UInt8])
    }

    /// What to do with a response from the server.
    enum ResponseAction: Sendable {
        /// Hand it to `route`'s session with the client's id put back.
        case deliver(Route)
        /// An answer to a request given up on (timed out, cancelled, its session ended): dropped quietly.
        case late
        /// An id mcpwatch never issued: the server's mistake (an anomaly).
        case unknown
    }

    /// Where a message the server starts goes.
    enum MessageAction: Sendable {
        /// To one session (the one that sent the latest request).
        case one(Session)
        /// To every session.
        case every([Session])
    }

    private enum Initialization: Sendable {
        case none
        /// The first `initialize` is with the server; these wait for its result.
        case pending(waiters: [Waiter])
        /// The server's answer, with where its id sits.
        case done(line: [UInt8], idRange: Range<Int>)
    }

    /// An `initialize` that waits for the first one's result.
    struct Waiter: Sendable {
        let sessionID: String
        let session: Session
        /// The message, as the client sent it.
        let message: [UInt8]
    }

    private struct Key: Hashable {
        let sessionID: String
        let id: JSONRPCID
    }

    private var next = 1
    private var routes: [Int: Route] = [:]
    /// (session, client's request id) -> the number the server knows it by (for cancellation).
    private var numbers: [Key: Int] = [:]
    private var sessions: [String: Session] = [:]
    /// In the order they joined, so that "any session" is always the same one.
    private var order: [String] = []
    private var lastSessionID: String?
    private var initialization = Initialization.none
    private var initializedSent = false

    init() {}

    /// The sessions that use the server now.
    var allSessions: [Session] { order.compactMap { sessions[$0] } }

    /// Requests the server has and has not answered yet.
    var pendingCount: Int { routes.count }

    // MARK: Sessions

    /// A session starts using the server.
    mutating func add(_ session: Session, id: String) {
        if sessions.updateValue(session, forKey: id) == nil { order.append(id) }
    }

    /// Forgets a session that ended, with whatever it still waited for.
    mutating func remove(sessionID: String) {
        sessions.removeValue(forKey: sessionID)
        order.removeAll { $0 == sessionID }
        routes = routes.filter { $0.value.sessionID != sessionID }
        numbers = numbers.filter { $0.key.sessionID != sessionID }
        if lastSessionID == sessionID { lastSessionID = nil }
        if case .pending(let waiters) = initialization {
            initialization = .pending(waiters: waiters.filter { $0.sessionID != sessionID })
        }
    }

    /// Forgets requests whose answers nobody waits for any more (they timed out, or were cancelled).
    mutating func forget(_ ids: [JSONRPCID], of sessionID: String) {
        for id in ids {
            if let number = numbers.removeValue(forKey: Key(sessionID: sessionID, id: id)) { routes.removeValue(forKey: number) }
        }
    }

    // MARK: Client to server

    /// A request (it has an id and a method) from a session.
    /// - Parameters:
    ///   - progressToken: the JSON text of its `params._meta.progressToken`, when it names one.
    ///   - message: the message as sent, kept only when an `initialize` must wait for the first one's result.
    mutating func request(id: JSONRPCID, method: String, progressToken: [UInt8]?, message: [UInt8],
                          from session: Session, sessionID: String) -> ClientAction {
        guard method == "initialize" else {
            return .forward(number: issue(id: id, token: progressToken, session: session, sessionID: sessionID, isInitialize: false))
        }
        switch initialization {
        case .none:
            initialization = .pending(waiters: [])
            return .forward(number: issue(id: id, token: progressToken, session: session, sessionID: sessionID, isInitialize: true))
        case .pending(var waiters):
            waiters.append(Waiter(sessionID: sessionID, session: session, message: message))
            initialization = .pending(waiters: waiters)
            return .drop
        case .done(let line, let range):
            return .answer(line.withUnsafeBytes { JSONValueLocator.replacing(range, in: $0, with: Array(id.json.utf8)) })
        }
    }

    /// A notification from a session.
    /// - Parameter cancelledID: a `notifications/cancelled`'s `params.requestId` (its JSON text), when it has one.
    mutating func notification(method: String, cancelledID: JSONRPCID?, sessionID: String) -> ClientAction {
        switch method {
        case "notifications/initialized":
            defer { initializedSent = true }
            return initializedSent ? .drop : .write
        case "notifications/cancelled":
            guard let cancelledID else { return .write }
            // Unknown: already answered (or never sent); passing it on unchanged could cancel another client's call.
            guard let number = numbers[Key(sessionID: sessionID, id: cancelledID)] else { return .drop }
            return .writeCancellation(number: number)
        default:
            return .write
        }
    }

    private mutating func issue(id: JSONRPCID, token: [UInt8]?, session: Session, sessionID: String, isInitialize: Bool) -> Int {
        let number = next
        next += 1
        routes[number] = Route(sessionID: sessionID, session: session, id: id, token: token, isInitialize: isInitialize)
        numbers[Key(sessionID: sessionID, id: id)] = number
        lastSessionID = sessionID
        return number
    }

    // MARK: Server to client

    /// A response from the server, with the text of its id (nil: not one of mcpwatch's numbers).
    mutating func response(number: Int?) -> ResponseAction {
        guard let number else { return .unknown }
        guard let route = routes.removeValue(forKey: number) else {
            return number > 0 && number < next ? .late : .unknown
        }
        numbers.removeValue(forKey: Key(sessionID: route.sessionID, id: route.id))
        return .deliver(route)
    }

    /// The request a progress notification's token (one of mcpwatch's numbers) belongs to, if it named a token.
    func progress(number: Int) -> Route? {
        guard let route = routes[number], route.token != nil else { return nil }
        return route
    }

    /// The request still under way that has this number: a 2026-07-28 server names its `subscriptions/listen`
    /// request so (`io.modelcontextprotocol/subscriptionId` in a notification's `_meta`) on stdio.
    func pending(number: Int) -> Route? { routes[number] }

    /// Where a message the server starts goes.
    /// - Parameter everyone: whether it concerns every session (`list_changed`, `resources/updated`).
    func message(everyone: Bool) -> MessageAction {
        if !everyone, let id = lastSessionID ?? order.first, let session = sessions[id] { return .one(session) }
        return .every(allSessions)
    }

    /// The server answered the first `initialize`: a success is kept for the sessions to come; after a failure the
    /// next waiting session tries its own.
    /// - Parameters:
    ///   - line: the server's answer (its id as the server sent it); `idRange`: where that id sits.
    /// - Returns: the `initialize` requests that waited, to be sent again now (in their order).
    mutating func initializeAnswered(line: [UInt8], idRange: Range<Int>, succeeded: Bool) -> [Waiter] {
        guard case .pending(let waiters) = initialization else { return [] }
        initialization = succeeded ? .done(line: line, idRange: idRange) : .none
        return waiters
    }
}

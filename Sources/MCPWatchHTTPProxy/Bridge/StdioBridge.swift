import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MCPWatchCore
import MCPWatchProxy
import NIOCore
import ServiceLifecycle
import Synchronization

/// Serves a stdio MCP server to many Streamable HTTP clients at once (`mcpwatch proxy --serve-http HOST:PORT --
/// COMMAND`), measuring every call with its session.
///
/// Each session gets a child process of its own (safe for servers that keep per-session state), up to
/// `maxSessions`, ended after `idleTimeout` without requests; or, with `sharedServer`, all sessions share one child
/// and ``SharedServer`` rewrites request ids so that they never collide. A POST's requests are written to the child
/// as lines (a batch as one line per message); the answer is JSON when only responses come back, and becomes an SSE
/// stream as soon as the server sends something else for those requests (progress, a log message, a request of its
/// own) and the client accepts one. GET opens the session's standalone stream, DELETE ends the session.
///
/// A `Service`: ``run()`` serves until graceful shutdown; then new sessions are refused, GET streams end, the POSTs
/// under way get their answers (for at most `shutdownGrace`), and every session ends with its server.
public final class StdioBridge: HTTPResponder, Service, Sendable {
    public typealias Context = BasicRequestContext

    /// How to run the bridge.
    public struct Configuration: Sendable {
        /// The server command and its arguments.
        public var command: [String]
        /// Where to serve.
        public var host: String
        /// Port to serve on (0: any free port).
        public var port: Int
        /// The MCP endpoint's path.
        public var path: String
        /// One child for all sessions (ids rewritten) instead of one per session.
        public var sharedServer: Bool
        /// Sessions at once; an `initialize` beyond gets 503.
        public var maxSessions: Int
        /// A session without requests for this long is ended (and its child with it).
        public var idleTimeout: Duration
        /// Time for the server to start answering a request; then JSON-RPC error -32002 with 504.
        public var responseTimeout: Duration
        /// Largest request body, and largest line from the server, relayed.
        public var maxMessageBytes: Int
        /// Time a child has to exit after its input closes, before SIGTERM and again before SIGKILL; also how long
        /// the POSTs under way may take to be answered once graceful shutdown begins.
        public var shutdownGrace: Duration
        /// Origins allowed besides loopback and the served host.
        public var allowedOrigins: [String]
        /// Host names answered besides loopback names and the served host (`http.allowed_hosts`).
        public var allowedHosts: [String] = []
        /// The machine's own names, answered when serving on every interface.
        public var machineNames: [String] = []

        /// Creates a configuration.
        public init(command: [String], host: String = "127.0.0.1", port: Int = 0, path: String = "/mcp", sharedServer: Bool = false,
                    maxSessions: Int = 100, idleTimeout: Duration = .seconds(1_800), responseTimeout: Duration = .seconds(60),
                    maxMessageBytes: Int = 64 << 20, shutdownGrace: Duration = .seconds(5), allowedOrigins: [String] = []) {
            self.command = command
            self.host = host
            self.port = port
            self.path = path
            self.sharedServer = sharedServer
            self.maxSessions = maxSessions
            self.idleTimeout = idleTimeout
            self.responseTimeout = responseTimeout
            self.maxMessageBytes = maxMessageBytes
            self.shutdownGrace = shutdownGrace
            self.allowedOrigins = allowedOrigins
        }
    }

    /// The configuration in force.
    public let configuration: Configuration
    /// Where measurements go.
    public let store: MetricsStore
    /// The dashboard explorer's requests, sent to the newest session's server.
    public let injected = InjectedRequests()
    /// Traffic control for the sessions' servers (nil without a `traffic` configuration). One gate for the bridge:
    /// with `--shared-server` the sessions share one server, which it protects; with a child per session its limits
    /// apply to all of them together, and private cache entries stay each session's own.
    public let gate: TrafficGate?
    private let held = TrafficHeldCalls()
    private let tap: ExplorerTap
    let logger: Logger
    private let eventLoopGroup: any EventLoopGroup
    private let origins: OriginPolicy
    private let hosts: HostPolicy
    /// The open sessions, the explorer's, and the servers running (``BridgeSessionTable``).
    let table: Mutex<BridgeSessionTable<BridgeSession>>
    private let shared: SharedServer?
    /// Serialises starting the shared child, so that two first sessions do not start two.
    private let sharedStart = Mutex(())
    /// The one child that answers every 2026-07-28 POST (no session; ids rewritten as for the shared server),
    /// started by the first one. Apart from the sessions' children: a server speaks one era per connection.
    let stateless: SharedServer
    /// Serialises starting the stateless child.
    let statelessStart = Mutex(())
    /// The 2026-07-28 POSTs under way, by their routing id: a quiet SSE answer gets keep-alives.
    let statelessExchanges = Mutex<[String: BridgeExchange]>([:])
    /// Numbers the 2026-07-28 POSTs, for routing their answers.
    let statelessPostCount = Atomic<Int>(0)

    /// Creates a bridge; ``run()`` serves.
    /// - Parameters:
    ///   - eventLoopGroup: the loops for the served side.
    ///   - traffic: traffic control, when configured (its server timeouts are left out: see
    ///     ``TrafficPolicy/withoutServerTimeouts``; `--upstream-timeout` answers for a server that does not answer).
    public init(configuration: Configuration, store: MetricsStore, eventLoopGroup: any EventLoopGroup, logger: Logger,
                traffic: TrafficPolicy? = nil, trafficStats: TrafficStats = TrafficStats()) {
        gate = traffic.map { TrafficGate(policy: $0.withoutServerTimeouts, stats: trafficStats, clock: store.clock) }
        self.configuration = configuration
        self.store = store
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        origins = OriginPolicy(servedHost: configuration.host, allowedOrigins: configuration.allowedOrigins)
        table = Mutex(BridgeSessionTable(limit: configuration.maxSessions))
        hosts = HostPolicy(boundHost: configuration.host, allowedHosts: configuration.allowedHosts, machineNames: configuration.machineNames)
        tap = ExplorerTap(requests: injected, recorder: TrafficRecorder(store: store))
        shared = configuration.sharedServer ? SharedServer(store: store, tap: tap) : nil
        stateless = SharedServer(store: store, stateless: true)
    }

    /// Serves until graceful shutdown (then drains) or cancellation, ending idle sessions and answering for a server
    /// that does not answer meanwhile; at the end every session ends and the servers stop.
    public func run() async throws {
        try await run(onRunning: { _ in })
    }

    /// Serves until graceful shutdown (then drains) or cancellation; see ``run()``.
    /// - Parameter onRunning: called with the bound port once listening.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void) async throws {
        let server = MCPEndpointServer(host: configuration.host, port: configuration.port, eventLoopGroup: eventLoopGroup, logger: logger)
        var timer: TrafficTimer?
        if let gate, gate.needsTimer {
            timer = TrafficTimer(gate: gate, clock: store.clock) { [held] actions in held.resolve(actions) }
            timer?.start()
        }
        defer { timer?.stop() }
        do {
            try await server.run(self, grace: configuration.shutdownGrace, onRunning: onRunning, alongside: [{ await self.sweep() }]) {
                self.drain()
            }
        } catch {
            await shutdown()
            throw error
        }
        await shutdown()
    }

    /// Graceful shutdown has begun: no new sessions, and the GET streams end (they would keep the server open), so
    /// that only the POSTs under way are waited for.
    private func drain() {
        let open = table.withLock { table in
            table.stop()
            return table.all
        }
        for session in open { session.endStandalone() }
    }

    /// Ends every session and stops the children (``run()`` does, when it ends).
    public func shutdown() async {
        let open = table.withLock { table in
            table.stop()
            return table.all
        }
        for session in open {
            close(session, reason: "mcpwatch is shutting down")
        }
        for post in stateless.sessions { endStateless(post, reason: "mcpwatch is shutting down") }
        if let child = shared?.child { child.stop(grace: configuration.shutdownGrace, logger: logger) }
        if let child = stateless.child { child.stop(grace: configuration.shutdownGrace, logger: logger) }
    }

    /// Sessions open now.
    public var sessionCount: Int { table.withLock { $0.count } }

    // MARK: Requests

    public func respond(to request: Request, context: Context) async throws -> Response {
        if let refusal = MCPEndpoint.refusal(of: request, hosts: hosts, origins: origins, path: configuration.path, logger: logger) { return refusal }
        switch request.method {
        case .post: return try await post(request)
        case .get: return get(request)
        case .delete: return delete(request)
        default:
            return MCPEndpoint.methodNotAllowed()
        }
    }

    private func post(_ request: Request) async throws -> Response {
        var request = request
        let buffer: ByteBuffer
        switch await MCPEndpoint.body(of: &request, limit: configuration.maxMessageBytes, store: store) {
        case .received(let received): buffer = received
        case .refused(let response): return response
        }
        var body = Array(buffer.readableBytesView)
        // JSON may hold line breaks between tokens; a stdio line may not. They become spaces (strings cannot hold raw
        // ones), so the server gets the same message as one line.
        if body.contains(0x0A) || body.contains(0x0D) { body = JSONLine.line(body).map { Array($0.dropLast()) } ?? [] }
        let session: BridgeSession
        var created = false
        // The server the messages go to through SharedServer (nil: the session's own child).
        var server = shared
        if let id = request.headers[MCPEndpoint.sessionHeader] {
            guard let known = table.withLock({ $0.session(id: id) }) else { return Self.unknownSession() }
            session = known
        } else if PostedMessage(inspecting: body).isInitialize {
            switch openSession() {
            case .success(let opened): session = opened
            case .failure(let refusal): return refusal.response
            }
            created = true
        } else if ModernRequest(line: body) != nil {
            // A 2026-07-28 request has no session: it goes to the stateless child, as a POST of its own.
            switch openStateless() {
            case .success(let opened): session = opened
            case .failure(let refusal): return refusal.response
            }
            server = stateless
        } else {
            var inspector = MessageInspector()
            if case .invalid(let kind) = inspector.inspect(body) { return Self.invalid(kind) }
            return Self.error(.badRequest, "Bad Request: the Mcp-Session-Id header is required; start a session with an initialize request")
        }
        let isStateless = server === stateless
        session.touch()
        var gated: TrafficGate.CallKey?
        if let gate, !isStateless {
            var gateInspector = MessageInspector()
            let before = body.withUnsafeBytes { gateInspector.inspect($0) }
            let caller = TrafficGate.Caller(request: request, sessionID: session.id, by: gate.policy.rateLimits.clientKey)
            let (disposition, actions) = body.withUnsafeBytes {
                gate.fromClient(frame: $0, inspected: before, caller: caller, now: store.clock.now())
            }
            held.resolve(actions)
            if case .message(let info) = before, info.kind == .request, let id = info.id {
                gated = TrafficGate.CallKey(session: session.id, id: id)
            }
            let headers: HTTPFields = created ? [MCPEndpoint.sessionHeader: session.id] : [:]
            switch disposition {
            case .forward:
                break
            case .answer(let bytes):
                return Self.trafficAnswer(bytes, headers: headers)
            case .drop:
                return Response(status: .accepted, headers: headers)
            case .hold:
                if let gated, case .answer(let bytes) = await held.wait(gated) { return Self.trafficAnswer(bytes, headers: headers) }
            }
        }

        // Measure first, so that the recorder knows the requests before any answer can come back.
        var inspector = MessageInspector()
        let inspected = body.withUnsafeBytes {
            session.recorder.observeInspecting(frame: $0, direction: .clientToServer, at: store.clock.now(), inspector: &inspector)
        }
        switch inspected {
        case .invalid(let kind):
            if isStateless { endStateless(session, reason: "not sent") }
            return Self.invalid(kind)
        case .empty: return Self.error(.badRequest, "Bad Request: the body is empty; send a JSON-RPC message")
        default: break
        }
        // A 2026-07-28 POST names its method in headers: one that disagrees with the body is relayed all the same
        // (the server decides) and counted as an anomaly.
        if isStateless { MCPEndpoint.checkHeaders(of: request, posted: PostedMessage(inspecting: body), store: store) }
        // Each message read once: the requests to expect answers for, the cancellations, and what the shared server's
        // id rewriting needs.
        let (messages, isBatch) = body.withUnsafeBytes { bytes -> ([OutgoingMessage], Bool) in
            if let elements = JSONValueLocator.elementRanges(in: bytes) { return (elements.map { OutgoingMessage(in: bytes, range: $0) }, true) }
            return ([OutgoingMessage(in: bytes, range: 0..<bytes.count)], false)
        }
        var requests: [(id: JSONRPCID, progressToken: String?)] = []
        var cancelled: [JSONRPCID] = []
        body.withUnsafeBytes { bytes in
            for message in messages {
                let text = UnsafeRawBufferPointer(rebasing: bytes[message.range])
                if message.isRequest, let idRange = message.idRange {
                    requests.append((OutgoingMessage.id(idRange, in: text), message.progressTokenRange.map { OutgoingMessage.id($0, in: text).json }))
                } else if let range = message.cancelledIDRange {
                    cancelled.append(OutgoingMessage.id(range, in: text))
                }
            }
        }
        let sessionHeaders: HTTPFields = created ? [MCPEndpoint.sessionHeader: session.id] : [:]
        guard !requests.isEmpty else {
            // Notifications and responses: accepted once written.
            guard send(messages, of: body, from: session, to: server) else {
                return Self.error(.badGateway, "MCP server is not reading its input (it may have exited)")
            }
            if !cancelled.isEmpty { server?.forget(session.cancel(cancelled), of: session) }
            return Response(status: .accepted, headers: sessionHeaders)
        }

        let accept = request.headers[.accept] ?? ""
        let exchange = BridgeExchange(ids: requests.map(\.id), streams: accept.contains("text/event-stream"))
        guard session.register(exchange, requests: requests) else { return Self.unknownSession() }
        if !send(messages, of: body, from: session, to: server) {
            let lost = session.take(exchange.ids)
            let text = "MCP server is not reading its input (it may have exited)"
            _ = session.recorder.lose(ids: lost, reason: text, at: store.clock.now())
            exchange.fail(ids: lost, code: JSONRPCErrorCode.serverExited, message: text)
        }
        guard isStateless else {
            // A call the answer ended without (the server went, the client left) frees its slot at the gate.
            let gatedCall = gated
            return await answer(exchange, batch: isBatch, headers: sessionHeaders) { [self] _ in
                if let gate, let gatedCall { held.resolve(gate.ended([gatedCall], now: store.clock.now())) }
            }
        }
        statelessExchanges.withLock { $0[session.id] = exchange }
        return await answer(exchange, batch: isBatch, headers: [:], stateless: true) { [self] completed in
            // The POST is over. Closing its stream before the answer is the 2026-07-28 cancellation: the server is
            // told so, as a stdio client would tell it.
            // A `subscriptions/listen` answered on this POST ends with it: a stream closed, not a call cancelled.
            session.recorder.endStreams(ids: exchange.ids, reason: completed ? .transport : .client, at: store.clock.now())
            if !completed { cancelStateless(exchange.ids, of: session) }
            endStateless(session, reason: "the POST ended")
        }
    }

    /// Writes the messages to the session's server: as they are to a child of its own, rewritten to a shared one
    /// (the `--shared-server` one, or the stateless one).
    private func send(_ messages: [OutgoingMessage], of body: [UInt8], from session: BridgeSession, to server: SharedServer?) -> Bool {
        body.withUnsafeBytes { bytes in
            for message in messages {
                let text = UnsafeRawBufferPointer(rebasing: bytes[message.range])
                if let server {
                    guard server.send(text, as: message, from: session) else { return false }
                } else {
                    var line = [UInt8](text)
                    line.append(0x0A)
                    guard let child = session.child, child.send(line) else { return false }
                }
            }
            return true
        }
    }

    /// The POST's answer: JSON when only responses come back, an SSE stream once anything else does.
    /// - Parameters:
    ///   - stateless: a 2026-07-28 POST: a JSON-RPC error alone gets the HTTP status the specification gives its code.
    ///   - ended: called once the answer is over, with whether it was all written (false: the client went away first).
    private func answer(_ exchange: BridgeExchange, batch: Bool, headers: HTTPFields, stateless: Bool = false,
                        ended: @escaping @Sendable (_ completed: Bool) -> Void = { _ in }) async -> Response {
        var collected: [[UInt8]] = []
        var status = HTTPResponse.Status.ok
        let items = ItemReader(exchange.items.makeAsyncIterator())
        while let item = await items.next() {
            switch item {
            case .response(let line):
                collected.append(line)
            case .failure(let ids, let code, let message, let failureStatus):
                if collected.isEmpty && ids.count == exchange.ids.count { status = failureStatus }
                collected += ids.map { MCPEndpoint.errorObject(id: $0, code: code, message: message) }
            case .message(let line) where line.isEmpty:
                break  // a keep-alive, for a stream only
            case .message(let line):
                return stream(first: collected + [line], then: items, headers: headers, ended: ended)
            }
        }
        ended(true)
        if stateless, status == .ok, collected.count == 1, let errorStatus = Self.modernStatus(ofError: collected[0]) {
            status = errorStatus
        }
        var body = ByteBuffer()
        if batch || collected.count != 1 {
            body.writeString("[")
            for (i, line) in collected.enumerated() {
                if i > 0 { body.writeString(",") }
                body.writeBytes(line)
            }
            body.writeString("]")
        } else {
            body.writeBytes(collected[0])
        }
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: body))
    }

    /// An SSE answer: what came so far, then the rest as it comes, ending after the last response.
    private func stream(first: [[UInt8]], then items: ItemReader, headers: HTTPFields,
                        ended: @escaping @Sendable (_ completed: Bool) -> Void) -> Response {
        var fields = headers
        fields[.contentType] = "text/event-stream"
        fields[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: fields, body: ResponseBody { writer in
            var completed = false
            defer { ended(completed) }
            var out = ByteBuffer()
            for line in first { out.writeBytes(MCPEndpoint.event(line)) }
            try await writer.write(out)
            while let item = await items.next() {
                switch item {
                case .message(let line) where line.isEmpty:
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                case .response(let line), .message(let line):
                    try await writer.write(ByteBuffer(bytes: MCPEndpoint.event(line)))
                case .failure(let ids, let code, let message, _):
                    var out = ByteBuffer()
                    for id in ids { out.writeBytes(MCPEndpoint.event(MCPEndpoint.errorObject(id: id, code: code, message: message))) }
                    try await writer.write(out)
                }
            }
            completed = true
            try await writer.finish(nil)
        })
    }

    private func get(_ request: Request) -> Response {
        guard (request.headers[.accept] ?? "").contains("text/event-stream") else {
            return Self.error(.notAcceptable, "Not Acceptable: the GET stream is text/event-stream; send Accept: text/event-stream")
        }
        guard let id = request.headers[MCPEndpoint.sessionHeader] else {
            return Self.error(.badRequest, "Bad Request: the Mcp-Session-Id header is required")
        }
        guard let session = table.withLock({ $0.session(id: id) }) else { return Self.unknownSession() }
        session.touch()
        guard let stream = session.openStandalone() else {
            return Self.error(.conflict, "Conflict: this session already has a GET stream open")
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: ResponseBody { writer in
            for await chunk in stream {
                try await writer.write(ByteBuffer(bytes: chunk))
            }
            try await writer.finish(nil)
        })
    }

    private func delete(_ request: Request) -> Response {
        guard let id = request.headers[MCPEndpoint.sessionHeader] else {
            return Self.error(.badRequest, "Bad Request: the Mcp-Session-Id header is required")
        }
        guard let session = table.withLock({ $0.remove(id: id) }) else { return Self.unknownSession() }
        close(session, reason: "the client ended the session")
        return Response(status: .ok)
    }

    // MARK: Sessions

    struct Refusal: Error {
        let response: Response
    }

    private func openSession() -> Result<BridgeSession, Refusal> {
        let stopping = Self.error(.serviceUnavailable, "Service Unavailable: mcpwatch is shutting down")
        guard !table.withLock({ $0.isStopping }) else { return .failure(Refusal(response: stopping)) }
        let session = BridgeSession(id: Self.newSessionID(), store: store, tap: tap, gate: gate, held: held)
        switch table.withLock({ $0.admit(session, id: session.id) }) {
        case .admitted:
            break
        case .stopping:
            session.end(code: JSONRPCErrorCode.serverExited, message: "refused")
            return .failure(Refusal(response: stopping))
        case .full:
            session.end(code: JSONRPCErrorCode.serverExited, message: "refused")
            logger.warning("refused a session: the limit is reached", metadata: ["max_sessions": "\(configuration.maxSessions)"])
            return .failure(Refusal(response: Self.error(.serviceUnavailable,
                "Service Unavailable: \(configuration.maxSessions) sessions are open, the limit (--max-sessions); end one with DELETE or try later")))
        }
        do {
            if let shared {
                try startSharedChild(shared)
                shared.add(session)
            } else {
                session.child = try startChild(for: session)
            }
        } catch {
            table.withLock { $0.remove(session, id: session.id) }
            session.end(code: JSONRPCErrorCode.serverExited, message: "\(error)")
            let text = (error as? WatchError)?.message ?? "\(error)"
            logger.error("cannot start the MCP server", metadata: ["error": "\(text)"])
            return .failure(Refusal(response: Self.error(.badGateway, "MCP server could not be started: \(text)")))
        }
        logger.info("session opened", metadata: ["session": "\(session.id)", "sessions": "\(sessionCount)"])
        table.withLock { $0.opened(session) }
        let tap = tap
        injected.attach { [weak self] line, origin in
            // Measured like a client's request (marked as the dashboard's), then sent to the newest session's server.
            guard let self, let session = self.table.withLock({ $0.newest }) else { return false }
            var inspector = MessageInspector()
            _ = line.withUnsafeBytes {
                tap.recorder.observe(frame: $0, direction: .clientToServer, at: self.store.clock.now(), inspector: &inspector, origin: origin)
            }
            if let shared = self.shared { return shared.write(line) }
            return session.child?.send(line) ?? false
        }
        return .success(session)
    }

    private func startChild(for session: BridgeSession) throws -> BridgeChild {
        let limit = configuration.maxMessageBytes
        let child = try BridgeChild.start(command: configuration.command, maxMessageBytes: limit) { output, inspector in
            switch output {
            case .line(let line): session.receive(line, inspector: &inspector)
            case .oversized(let prefix, let length): session.receiveOversized(prefix: prefix, length: length, limit: limit, inspector: &inspector)
            }
        } exited: { [weak self] child, exit in
            self?.childExited(child, exit: exit, sessions: [session])
        }
        serverStarted(child)
        return child
    }

    private func startSharedChild(_ shared: SharedServer) throws {
        try sharedStart.withLock { _ in
            guard shared.child == nil else { return }
            let limit = configuration.maxMessageBytes
            let child = try BridgeChild.start(command: configuration.command, maxMessageBytes: limit) { output, inspector in
                switch output {
                case .line(let line): shared.receive(line, inspector: &inspector)
                case .oversized(let prefix, let length): shared.receiveOversized(prefix: prefix, length: length, limit: limit, inspector: &inspector)
                }
            } exited: { [weak self] child, exit in
                self?.childExited(child, exit: exit, sessions: shared.detach(child))
            }
            shared.attach(child)
            serverStarted(child)
        }
    }

    func serverStarted(_ child: BridgeChild) {
        table.withLock { $0.serverStarted(pid: child.process.pid) }
        store.updateSession {
            $0.serverPid = child.process.pid
            $0.serverAlive = true
            $0.serverExit = nil
        }
        logger.info("started server", metadata: ["pid": "\(child.process.pid)", "command": "\(configuration.command.joined(separator: " "))"])
    }

    /// A child exited: its sessions end, their waiting requests answered with an error. Their clients get 404 on
    /// their next request, and start a new session (and with it a new child).
    ///
    /// A child that ends because its session did (DELETE, idle, shutdown) is no failure: health stays as it was. One
    /// that exits on its own while its sessions are open makes the server "not running" (health unhealthy) until
    /// another one runs; a new session starts one.
    func childExited(_ child: BridgeChild, exit: ChildExit, sessions ended: [BridgeSession]) {
        let expected = table.withLock { $0.isStopping } || ended.allSatisfy(\.isEnded)
        let text = "MCP server \(exit) before answering this request"
        for session in ended {
            table.withLock { $0.remove(session, id: session.id) }
            forgetNewest(session)
            session.end(code: JSONRPCErrorCode.serverExited, message: text)
        }
        let pid = child.process.pid
        let others = table.withLock { $0.serverExited(pid: pid) }
        store.updateSession { session in
            guard session.serverPid == pid else { return }
            session.serverPid = others.last ?? (expected ? nil : pid)
            if !expected && others.isEmpty {
                session.serverAlive = false
                session.serverExit = exit.description
            }
        }
        logger.log(level: expected ? .info : .warning, "server \(exit)", metadata: ["pid": "\(pid)", "sessions_ended": "\(ended.count)"])
    }

    /// A session has left the table: the explorer moves to another one, or has none.
    private func forgetNewest(_ session: BridgeSession) {
        if table.withLock({ $0.forget(session) }) == nil { injected.detach() }
    }

    /// Ends a session that is still open (idle, deleted, shutdown): its child is stopped, or it leaves the shared one.
    private func close(_ session: BridgeSession, reason: String) {
        table.withLock { $0.remove(session, id: session.id) }
        forgetNewest(session)
        shared?.remove(session)
        session.end(code: JSONRPCErrorCode.serverExited, message: "Session ended before the answer came: \(reason)")
        session.child?.stop(grace: configuration.shutdownGrace, logger: logger)
        if session.droppedMessages > 0 {
            logger.warning("server messages were dropped for a client that read its stream too slowly",
                           metadata: ["session": "\(session.id)", "dropped": "\(session.droppedMessages)"])
        }
        logger.info("session closed", metadata: ["session": "\(session.id)", "reason": "\(reason)"])
    }

    /// Once a second: answers requests the server left unanswered past the timeout, ends idle sessions, and keeps
    /// quiet GET streams alive.
    private func sweep() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            let now = ContinuousClock.now
            for exchange in statelessExchanges.withLock({ Array($0.values) }) { exchange.keepAlive(after: .seconds(15), now: now) }
            for post in stateless.sessions {
                let expired = post.expire(timeout: configuration.responseTimeout, now: now)
                if !expired.isEmpty {
                    stateless.forget(expired, of: post)
                    logger.warning("the server did not answer in time", metadata: ["requests": "\(expired.count)"])
                }
            }
            for session in table.withLock({ $0.all }) {
                let expired = session.expire(timeout: configuration.responseTimeout, now: now)
                if !expired.isEmpty {
                    shared?.forget(expired, of: session)
                    logger.warning("the server did not answer in time", metadata: ["session": "\(session.id)", "requests": "\(expired.count)"])
                }
                session.keepAlive(after: .seconds(15))
                if session.isIdle(for: configuration.idleTimeout, now: now) {
                    close(session, reason: "idle for \(configuration.idleTimeout) (--session-idle-timeout)")
                }
            }
        }
    }

    // MARK: Helpers

    /// 128 random bits as 32 hex digits: visible ASCII, as the specification asks, and not guessable.
    static func newSessionID() -> String {
        var generator = SystemRandomNumberGenerator()
        let (high, low) = (generator.next() as UInt64, generator.next() as UInt64)
        return String(format: "%016llx%016llx", high, low)
    }

    /// An answer traffic control gives in the server's place, as a JSON body.
    static func trafficAnswer(_ bytes: [UInt8], headers: HTTPFields) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: .ok, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes.last == 0x0A ? bytes.dropLast() : bytes[...])))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        MCPEndpoint.error(status, message)
    }

    /// 400 for a body that is not a JSON-RPC message (counted as an anomaly, not sent to the server).
    static func invalid(_ kind: AnomalyKind) -> Response {
        switch kind {
        case .invalidJSON, .invalidUTF8:
            MCPEndpoint.errorResponse(.badRequest, id: nil, code: -32700, message: "Parse error: the body is not valid JSON (\(kind.rawValue)) and was not sent to the server")
        default:
            MCPEndpoint.errorResponse(.badRequest, id: nil, code: JSONRPCErrorCode.invalidRequest,
                message: "Invalid Request: the body is not a JSON-RPC message or batch (\(kind.rawValue)) and was not sent to the server")
        }
    }

    static func unknownSession() -> Response {
        error(.notFound, "Not Found: no such session (it ended, or its server exited); start a new one with initialize")
    }
}

/// Reads an exchange's items: first in the request handler, then (once the answer turns into a stream) in the
/// response body writer, which runs after the handler has returned. One iterator for both, since dropping an
/// `AsyncStream` iterator would end the stream.
///
/// `@unchecked Sendable`: the iterator is used by one task at a time (the handler stops using it before it hands the
/// reader to the body writer), which the compiler cannot see.
private final class ItemReader: @unchecked Sendable {
    private var iterator: AsyncStream<BridgeExchange.Item>.Iterator

    init(_ iterator: AsyncStream<BridgeExchange.Item>.Iterator) { self.iterator = iterator }

    func next() async -> BridgeExchange.Item? { await iterator.next() }
}

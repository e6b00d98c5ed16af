import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MCPWatchCore
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// A reverse proxy for the MCP Streamable HTTP transport (revisions 2025-03-26, 2025-06-18, 2025-11-25) that
/// measures every message on the way.
///
/// `POST` bodies (a message or a batch) are measured client to server and sent on; a JSON answer is measured and
/// returned, an SSE answer is relayed chunk by chunk as it arrives while its events' `data` are measured on the side.
/// `GET` (the standalone SSE stream) and `DELETE` (end of session) pass through. Headers pass both ways but for the
/// hop-by-hop ones (``HeaderForwarding``); status codes and bodies are unchanged. When the upstream cannot be
/// reached or does not answer in time, a request gets a JSON-RPC error (-32002) with 502 or 504, never a hang.
///
/// A `Service`: ``run()`` serves until graceful shutdown, then answers what is under way (for at most
/// `shutdownGrace`) and closes the upstream connections.
public final class StreamableHTTPRelay: HTTPResponder, Service, Sendable {
    public typealias Context = BasicRequestContext

    /// How to run the relay.
    public struct Configuration: Sendable {
        /// The upstream MCP endpoint, e.g. `http://127.0.0.1:8000/mcp`.
        public var upstream: URL
        /// Where to serve.
        public var host: String
        /// Port to serve on (0: any free port).
        public var port: Int
        /// Origins allowed besides loopback and the served host.
        public var allowedOrigins: [String]
        /// Host names answered besides loopback names and the served host (`http.allowed_hosts`).
        public var allowedHosts: [String] = []
        /// The machine's own names, answered when serving on every interface.
        public var machineNames: [String] = []
        /// Time to connect to the upstream.
        public var connectTimeout: Duration
        /// Time from sending a request upstream to its response's head (an SSE stream may then run as long as it likes).
        public var responseTimeout: Duration
        /// Largest request body, and largest JSON response body, relayed.
        public var maxMessageBytes: Int
        /// Sessions tracked at once.
        public var maxSessions: Int
        /// After graceful shutdown begins: how long requests under way (an SSE stream) may go on before they are cut off.
        public var shutdownGrace: Duration

        /// Creates a configuration.
        public init(upstream: URL, host: String = "127.0.0.1", port: Int = 0, allowedOrigins: [String] = [],
                    connectTimeout: Duration = .seconds(5), responseTimeout: Duration = .seconds(60),
                    maxMessageBytes: Int = 64 << 20, maxSessions: Int = 1_000, shutdownGrace: Duration = .seconds(5)) {
            self.upstream = upstream
            self.host = host
            self.port = port
            self.allowedOrigins = allowedOrigins
            self.connectTimeout = connectTimeout
            self.responseTimeout = responseTimeout
            self.maxMessageBytes = maxMessageBytes
            self.maxSessions = maxSessions
            self.shutdownGrace = shutdownGrace
        }
    }

    /// The configuration in force.
    public let configuration: Configuration
    /// Where measurements go.
    public let store: MetricsStore
    /// One recorder per session.
    public let sessions: SessionRecorders
    /// mcpwatch's own requests (the dashboard's explorer), posted on the newest client session.
    public let injected = InjectedRequests()
    /// Traffic control (nil without a `traffic` configuration: then every message is relayed as it comes).
    public let gate: TrafficGate?
    private let held = TrafficHeldCalls()
    private let origins: OriginPolicy
    private let hosts: HostPolicy
    private let client: HTTPClient
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let path: String
    /// The explorer's requests, posted by a task of ``run()``.
    private let injections: AsyncStream<Injection>
    private let injectionInput: AsyncStream<Injection>.Continuation

    private struct Injection: Sendable {
        let line: [UInt8]
        let sessionID: String
    }

    /// Creates a relay; ``run()`` serves.
    /// - Parameters:
    ///   - eventLoopGroup: the loops for the served side and the upstream connections.
    ///   - traffic: traffic control, when configured (its server timeouts are left out: see
    ///     ``TrafficPolicy/withoutServerTimeouts``), recording into `trafficStats`.
    public init(configuration: Configuration, store: MetricsStore, eventLoopGroup: any EventLoopGroup, logger: Logger,
                traffic: TrafficPolicy? = nil, trafficStats: TrafficStats = TrafficStats()) {
        gate = traffic.map { TrafficGate(policy: $0.withoutServerTimeouts, stats: trafficStats, clock: store.clock) }
        self.configuration = configuration
        self.store = store
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        sessions = SessionRecorders(store: store, capacity: configuration.maxSessions)
        origins = OriginPolicy(servedHost: configuration.host, allowedOrigins: configuration.allowedOrigins)
        hosts = HostPolicy(boundHost: configuration.host, allowedHosts: configuration.allowedHosts, machineNames: configuration.machineNames)
        path = configuration.upstream.path.isEmpty ? "/" : configuration.upstream.path
        client = UpstreamHTTPClient.make(connectTimeout: configuration.connectTimeout, eventLoopGroup: eventLoopGroup)
        (injections, injectionInput) = AsyncStream.makeStream(of: Injection.self)
    }

    /// The MCP endpoint's path (the upstream's).
    public var endpointPath: String { path }

    /// Serves until graceful shutdown (then drains) or cancellation; closes the upstream connections at the end.
    public func run() async throws {
        try await run(onRunning: { _ in })
    }

    /// Serves until graceful shutdown (then drains) or cancellation; closes the upstream connections at the end.
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
            try await server.run(self, grace: configuration.shutdownGrace, onRunning: onRunning, alongside: [{ await self.postInjections() }]) {
                self.stopInjections()
            }
        } catch {
            stopInjections()
            await shutdown()
            throw error
        }
        stopInjections()
        await shutdown()
    }

    /// Closes the upstream connections (``run()`` does, when it ends).
    public func shutdown() async {
        try? await client.shutdown()
    }

    // MARK: Requests

    public func respond(to request: Request, context: Context) async throws -> Response {
        if let refusal = MCPEndpoint.refusal(of: request, hosts: hosts, origins: origins, path: path, logger: logger) { return refusal }
        switch request.method {
        case .post: return try await post(request)
        case .get, .delete: return try await pass(request)
        default:
            return MCPEndpoint.methodNotAllowed()
        }
    }

    private func post(_ request: Request) async throws -> Response {
        var request = request
        let body: ByteBuffer
        switch await MCPEndpoint.body(of: &request, limit: configuration.maxMessageBytes, store: store) {
        case .received(let received): body = received
        case .refused(let response): return response
        }
        let sessionID = request.headers[MCPEndpoint.sessionHeader]
        let recorder = sessionID.map { sessions.recorder(for: $0) } ?? TrafficRecorder(store: store)
        var inspector = MessageInspector()
        var gated: [TrafficGate.CallKey] = []
        if let gate {
            let inspected = body.withUnsafeReadableBytes { inspector.inspect($0) }
            let caller = TrafficGate.Caller(request: request, sessionID: sessionID, by: gate.policy.rateLimits.clientKey)
            let (disposition, actions) = body.withUnsafeReadableBytes {
                gate.fromClient(frame: $0, inspected: inspected, caller: caller, now: store.clock.now())
            }
            held.resolve(actions)
            let key = Self.requestKey(inspected, session: sessionID)
            switch disposition {
            case .forward:
                break
            case .answer(let bytes):
                return Self.answer(bytes)
            case .drop:
                return Response(status: .accepted)
            case .hold:
                guard let key else { break }
                if case .answer(let bytes) = await held.wait(key) { return Self.answer(bytes) }
            }
            if let key { gated = [key] }
        }
        let posted = body.withUnsafeReadableBytes {
            recorder.observeOutgoing(frame: $0, direction: .clientToServer, at: store.clock.now(), inspector: &inspector)
        }
        let requestIDs = posted.requestIDs
        MCPEndpoint.checkHeaders(of: request, posted: posted, store: store)

        let upstream: HTTPClientResponse
        do {
            // otel.propagate: mcpwatch's span context in params._meta.traceparent, the rest unchanged.
            let traced = body.withUnsafeReadableBytes { recorder.propagatingTrace($0) }.map { ByteBuffer(bytes: $0) }
            upstream = try await send(request, body: traced ?? body)
        } catch {
            endGated(gated)
            return failed(error, recorder: recorder, requestIDs: requestIDs)
        }
        if let assigned = upstream.headers.first(name: MCPEndpoint.sessionHeaderName), sessionID == nil {
            sessions.adopt(recorder, as: assigned)
            attachExplorer()
        }
        if upstream.status == .notFound, let sessionID {
            // The server no longer knows the session (it expired or restarted): so neither do we.
            forget(sessionID)
        }
        return await relay(upstream, recorder: recorder, requestIDs: requestIDs, gated: gated, session: sessionID)
    }

    /// The key of a single request, for the gate (a batch or a notification has none).
    private static func requestKey(_ inspected: InspectedFrame, session: String?) -> TrafficGate.CallKey? {
        guard case .message(let info) = inspected, info.kind == .request, let id = info.id else { return nil }
        return TrafficGate.CallKey(session: session, id: id)
    }

    /// An answer mcpwatch gives in the server's place, as a JSON body.
    private static func answer(_ bytes: [UInt8]) -> Response {
        let body = bytes.last == 0x0A ? bytes.dropLast() : bytes[...]
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Calls the gate let through that ended without an answer it saw: their slots free.
    private func endGated(_ keys: [TrafficGate.CallKey]) {
        guard let gate, !keys.isEmpty else { return }
        held.resolve(gate.ended(keys, now: store.clock.now()))
    }

    /// A message of the server's answer, measured, then shown to the gate: it may release queued calls.
    private func observeAnswer(_ frame: UnsafeRawBufferPointer, recorder: TrafficRecorder, session: String?, at now: MonotonicInstant,
                               inspector: inout MessageInspector) -> MCPWatchCore.RequestID? {
        guard let gate else { return recorder.observe(frame: frame, direction: .serverToClient, at: now, inspector: &inspector) }
        let inspected = recorder.observeInspecting(frame: frame, direction: .serverToClient, at: now, inspector: &inspector)
        held.resolve(gate.fromServer(frame: frame, inspected: inspected, session: session, now: now).actions)
        if case .message(let info) = inspected, info.kind == .result || info.kind == .error { return info.id }
        return nil
    }

    private func pass(_ request: Request) async throws -> Response {
        let sessionID = request.headers[MCPEndpoint.sessionHeader]
        let recorder = sessionID.map { sessions.recorder(for: $0) } ?? TrafficRecorder(store: store)
        let upstream: HTTPClientResponse
        do {
            upstream = try await send(request, body: nil)
        } catch {
            return failed(error, recorder: recorder, requestIDs: [])
        }
        if request.method == .delete, let sessionID, (200..<300).contains(Int(upstream.status.code)) || upstream.status == .notFound {
            forget(sessionID)
        }
        return await relay(upstream, recorder: recorder, requestIDs: [], standaloneStream: request.method == .get)
    }

    private func forget(_ sessionID: String) {
        sessions.remove(sessionID)
        if sessions.count == 0 { injected.detach() }
    }

    // MARK: the dashboard's explorer

    /// Lets the explorer's requests through, on the newest session: the server has initialized it for its client.
    private func attachExplorer() {
        injected.attach { [weak self] line, _ in
            guard let self, let sessionID = self.sessions.newestID else { return false }
            if case .terminated = self.injectionInput.yield(Injection(line: line, sessionID: sessionID)) { return false }
            return true
        }
    }

    /// Posts the explorer's requests as they come, each in a task of its own, until ``stopInjections()``; then waits
    /// for those under way.
    private func postInjections() async {
        await withDiscardingTaskGroup { group in
            for await injection in injections {
                group.addTask { await self.inject(injection.line, sessionID: injection.sessionID) }
            }
        }
    }

    /// No more explorer requests: those under way finish, new ones are refused.
    private func stopInjections() {
        injected.detach()
        injectionInput.finish()
    }

    /// Posts one of mcpwatch's own requests on a client's session, measured with origin `dashboard`; its answer goes to
    /// the explorer's waiter, never to a client.
    private func inject(_ line: [UInt8], sessionID: String) async {
        let recorder = sessions.recorder(for: sessionID)
        var inspector = MessageInspector()
        let requestIDs = line.withUnsafeBytes {
            recorder.observeOutgoing(frame: $0, direction: .clientToServer, at: store.clock.now(), inspector: &inspector, origin: .dashboard).requestIDs
        }
        var request = HTTPClientRequest(url: configuration.upstream.absoluteString)
        request.method = .POST
        let session = UpstreamSession(sessionID: sessionID, protocolVersion: store.session.protocolVersion)
        for (name, value) in session.headers(for: .post) { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: line.last == 0x0A ? line.dropLast() : line[...]))
        var failure: String?
        do {
            let response = try await client.execute(request, deadline: UpstreamHTTPClient.deadline(after: configuration.responseTimeout), logger: logger)
            let contentType = response.headers.first(name: "content-type")?.lowercased() ?? ""
            if !(200..<300).contains(Int(response.status.code)) {
                _ = try? await response.body.collect(upTo: 64 << 10)
                failure = "the MCP server answered HTTP \(response.status.code) \(response.status.reasonPhrase)"
            } else if contentType.hasPrefix("text/event-stream") {
                try await SSEMessages.read(response.body, maxEventBytes: configuration.maxMessageBytes, anomalies: nil) { line in
                    take(line, recorder: recorder)
                }
            } else {
                let body = try await response.body.collect(upTo: configuration.maxMessageBytes)
                if let line = body.withUnsafeReadableBytes({ JSONLine.line($0) }) { take(line, recorder: recorder) }
            }
        } catch {
            failure = "the MCP server is unavailable: \(UpstreamHTTPClient.describe(error))"
        }
        // Whatever got no answer fails now, rather than when the explorer's wait runs out.
        let text = failure ?? "the MCP server ended its answer without a response to this request"
        for id in recorder.lose(ids: requestIDs, reason: text, at: store.clock.now()) {
            let line = JSONRPCErrorResponse.line(id: id, code: JSONRPCErrorCode.upstreamUnavailable, message: text)
            _ = line.withUnsafeBytes { injected.claim(id, line: $0) }
        }
    }

    /// Measures a line of the server's answer to an injected request, and hands a response to its waiter.
    private func take(_ line: [UInt8], recorder: TrafficRecorder) {
        var inspector = MessageInspector()
        line.withUnsafeBytes {
            let id = recorder.observe(frame: $0, direction: .serverToClient, at: store.clock.now(), inspector: &inspector, origin: .dashboard)
            _ = injected.claim(id, line: $0)
        }
    }

    private func send(_ request: Request, body: ByteBuffer?) async throws -> HTTPClientResponse {
        var url = configuration.upstream.absoluteString
        if let query = request.uri.query, !query.isEmpty {
            url += (url.contains("?") ? "&" : "?") + query
        }
        var outgoing = HTTPClientRequest(url: url)
        outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
        let tokens = HeaderForwarding.connectionTokens(request.headers[values: .connection])
        for field in request.headers where HeaderForwarding.forwardsRequestHeader(field.name.canonicalName, connectionTokens: tokens) {
            outgoing.headers.add(name: field.name.rawName, value: field.value)
        }
        if let body { outgoing.body = .bytes(body) }
        return try await client.execute(outgoing, deadline: UpstreamHTTPClient.deadline(after: configuration.responseTimeout), logger: logger)
    }

    /// The upstream's answer, relayed: JSON whole (and measured), SSE chunk by chunk as it comes.
    private func relay(
        _ upstream: HTTPClientResponse, recorder: TrafficRecorder, requestIDs: [JSONRPCID], standaloneStream: Bool = false,
        gated: [TrafficGate.CallKey] = [], session: String? = nil
    ) async -> Response {
        var headers = HTTPFields()
        let tokens = HeaderForwarding.connectionTokens(upstream.headers[canonicalForm: "connection"].map(String.init))
        for (name, value) in upstream.headers where HeaderForwarding.forwardsResponseHeader(name, connectionTokens: tokens) {
            if let fieldName = HTTPField.Name(name) { headers.append(HTTPField(name: fieldName, value: value)) }
        }
        let status = HTTPResponse.Status(code: Int(upstream.status.code), reasonPhrase: upstream.status.reasonPhrase)
        let contentType = upstream.headers.first(name: "content-type")?.lowercased() ?? ""
        if contentType.hasPrefix("text/event-stream") {
            return Response(status: status, headers: headers,
                            body: sseBody(upstream.body, recorder: recorder, requestIDs: requestIDs, standaloneStream: standaloneStream,
                                          gated: gated, session: session))
        }
        let body: ByteBuffer
        do {
            body = try await upstream.body.collect(upTo: configuration.maxMessageBytes)
        } catch {
            let text = (error as? NIOTooManyBytesError) != nil
                ? "Response too large: the upstream's answer exceeds the limit of \(configuration.maxMessageBytes) bytes (--max-message-bytes)"
                : "MCP server connection broke while answering: \(UpstreamHTTPClient.describe(error))"
            let lost = recorder.lose(ids: requestIDs, reason: text, at: store.clock.now())
            endGated(gated)
            return MCPEndpoint.errorResponse(.badGateway, ids: lost, code: JSONRPCErrorCode.upstreamUnavailable, message: text)
        }
        // Only a JSON body carries MCP messages; a text or HTML one (a 405 for GET, a load balancer's error page) is the
        // HTTP layer speaking and is relayed unmeasured rather than counted as a malformed message.
        var answered: MCPWatchCore.RequestID?
        if body.readableBytes > 0 && Self.isJSON(contentType) {
            var inspector = MessageInspector()
            answered = body.withUnsafeReadableBytes {
                observeAnswer($0, recorder: recorder, session: session, at: store.clock.now(), inspector: &inspector)
            }
        }
        if !gated.isEmpty && !(gated.count == 1 && answered == gated[0].id) { endGated(gated) }
        // The usual case, one request and its response, needs no second look at the pending calls.
        if !requestIDs.isEmpty && !(requestIDs.count == 1 && answered == requestIDs[0]) {
            // Requests this answer did not answer will never be answered: end them now instead of leaving them in flight.
            _ = recorder.lose(ids: requestIDs, reason: "the MCP server answered HTTP \(upstream.status.code) without a response to this request",
                              at: store.clock.now())
        }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
    }

    /// Whether a Content-Type names JSON (`application/json`, `application/x+json`), or is missing.
    static func isJSON(_ contentType: String) -> Bool {
        let type = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        return type.isEmpty || type == "application/json" || (type.hasPrefix("application/") && type.hasSuffix("+json"))
    }

    /// Relays an SSE stream as it arrives, measuring each event's data on the side.
    /// A `subscriptions/listen` among `requestIDs`, or the standalone `GET` stream, is measured as a stream: it ends
    /// closed by the client or the transport, never lost.
    private func sseBody(
        _ body: HTTPClientResponse.Body, recorder: TrafficRecorder, requestIDs: [JSONRPCID], standaloneStream: Bool,
        gated: [TrafficGate.CallKey], session: String?
    ) -> ResponseBody {
        let store = store
        let logger = logger
        let limit = configuration.maxMessageBytes
        return ResponseBody { writer in
            let opened = store.clock.now()
            if standaloneStream { store.recordStreamOpened(.get) }
            var closedBy = StreamCloseReason.transport
            defer {
                let now = store.clock.now()
                // A call the stream ended without answering (the client went, the upstream broke) frees its slot.
                self.endGated(gated)
                recorder.endStreams(ids: requestIDs, reason: closedBy, at: now)
                if standaloneStream {
                    store.recordStreamClosed(StreamClosure(kind: .get, reason: closedBy, lifetimeNanos: now.nanoseconds(since: opened)))
                }
            }
            var parser = SSEEventParser(maxEventBytes: limit)
            var inspector = MessageInspector()
            do {
                for try await chunk in body {
                    let now = store.clock.now()
                    chunk.withUnsafeReadableBytes { bytes in
                        parser.append(bytes) { event in
                            guard !event.truncated else {
                                store.recordAnomaly(.oversizedMessage, direction: .serverToClient, at: now, sample: nil)
                                return
                            }
                            event.data.withUnsafeBytes {
                                _ = self.observeAnswer($0, recorder: recorder, session: session, at: now, inspector: &inspector)
                            }
                        }
                    }
                    // When the client has gone this throws, and leaving the loop drops the upstream body, which
                    // cancels the upstream request.
                    try await ClientWrite.run { try await writer.write(chunk) }
                }
            } catch let error as ClientWrite.Failure {
                closedBy = .client
                throw error.underlying
            } catch {
                guard !Task.isCancelled else {
                    closedBy = .client
                    throw error
                }
                // The upstream broke mid-stream: answer what this stream still owed, then end it.
                let text = "MCP server connection broke mid-stream: \(UpstreamHTTPClient.describe(error))"
                let lost = recorder.lose(ids: requestIDs, reason: text, at: store.clock.now())
                logger.warning("upstream stream broke", metadata: ["error": "\(error)", "answered_lost_requests": "\(lost.count)"])
                var out = ByteBuffer()
                for id in lost {
                    out.writeString("event: message\ndata: ")
                    out.writeBytes(MCPEndpoint.errorObject(id: id, code: JSONRPCErrorCode.upstreamUnavailable, message: text))
                    out.writeString("\n\n")
                }
                if out.readableBytes > 0 { try await writer.write(out) }
            }
            try await writer.finish(nil)
        }
    }

    /// The upstream could not be reached or did not answer in time: a JSON-RPC error for every request.
    private func failed(_ error: any Error, recorder: TrafficRecorder, requestIDs: [JSONRPCID]) -> Response {
        let timedOut = UpstreamHTTPClient.timedOut(error)
        let text = timedOut
            ? "MCP server at \(configuration.upstream.absoluteString) did not answer within \(configuration.responseTimeout) (--upstream-timeout)"
            : "MCP server at \(configuration.upstream.absoluteString) is unavailable: \(UpstreamHTTPClient.describe(error))"
        let lost = recorder.lose(ids: requestIDs, reason: text, at: store.clock.now())
        logger.warning("upstream request failed", metadata: ["error": "\(error)", "answered_lost_requests": "\(lost.count)"])
        return MCPEndpoint.errorResponse(timedOut ? .gatewayTimeout : .badGateway, ids: lost, code: JSONRPCErrorCode.upstreamUnavailable, message: text)
    }
}

/// Tells a failed write to the client (it went away) from a failure of the upstream in the same loop.
enum ClientWrite {
    struct Failure: Error {
        let underlying: any Error
    }

    static func run(_ write: () async throws -> Void) async throws {
        do { try await write() } catch { throw Failure(underlying: error) }
    }
}

import AsyncHTTPClient
import Dispatch
import Foundation
import Logging
import MCPWatchCore
import MCPWatchProxy
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// The client side of the MCP Streamable HTTP transport behind a stdio front: for clients that only launch
/// commands, mcpwatch reads newline-delimited JSON-RPC on stdin, POSTs each message to the upstream, and writes
/// every message of the answers (a JSON body, or each SSE event as it arrives) to stdout as one line, measuring
/// both directions with one ``TrafficRecorder`` (one process, one session).
///
/// Each POST runs in its own child task, so a slow tool never holds up other calls; stdout is one
/// ``OutputChannel``, so lines never interleave. After `notifications/initialized` the standalone GET stream
/// carries the server's own requests and notifications (resumed with `Last-Event-ID` when it drops). An upstream
/// that is down or slow answers each request with JSON-RPC error -32002, never a hang. At the end of input (or on
/// ``stop()``, or graceful shutdown) the session is ended with `DELETE`. The older HTTP+SSE transport (2024-11-05)
/// is in ``StdioToHTTPRelay+LegacySSE.swift``.
///
/// A `Service`: ``run()`` relays until the end of input or graceful shutdown, then lets the calls under way finish
/// (for at most `shutdownGrace`). The dashboard explorer's requests are posted by tasks of ``run()`` too.
public final class StdioToHTTPRelay: Service, Sendable {
    /// How to run the relay.
    public struct Configuration: Sendable {
        /// The upstream MCP endpoint, e.g. `http://127.0.0.1:8000/mcp`.
        public var upstream: URL
        /// Time to connect to the upstream.
        public var connectTimeout: Duration
        /// Time from sending a request upstream to its response's head.
        public var responseTimeout: Duration
        /// Largest message relayed either way.
        public var maxMessageBytes: Int
        /// POSTs in flight at once; stdin is not read further until one ends (bounded memory).
        public var maxInFlight: Int
        /// After the end of input: how long the calls still running may go on before they are dropped.
        public var shutdownGrace: Duration
        /// Time for the `DELETE` that ends the session.
        public var deleteTimeout: Duration
        /// Reconnections of the standalone GET stream in a row before giving up.
        public var maxReconnects: Int
        /// Which transport the upstream speaks.
        public var transport: UpstreamTransport

        /// Creates a configuration.
        public init(upstream: URL, connectTimeout: Duration = .seconds(5), responseTimeout: Duration = .seconds(60),
                    maxMessageBytes: Int = 64 << 20, maxInFlight: Int = 256, shutdownGrace: Duration = .seconds(5),
                    deleteTimeout: Duration = .seconds(2), maxReconnects: Int = 6, transport: UpstreamTransport = .auto) {
            self.transport = transport
            self.upstream = upstream
            self.connectTimeout = connectTimeout
            self.responseTimeout = responseTimeout
            self.maxMessageBytes = maxMessageBytes
            self.maxInFlight = max(1, maxInFlight)
            self.shutdownGrace = shutdownGrace
            self.deleteTimeout = deleteTimeout
            self.maxReconnects = maxReconnects
        }
    }

    /// The configuration in force.
    public let configuration: Configuration
    /// Where measurements go (one session).
    public let recorder: TrafficRecorder
    /// mcpwatch's own requests (the dashboard's explorer), posted on the client's session once it is initialized.
    public let injected = InjectedRequests()
    /// Traffic control (nil without a `traffic` configuration: then every message is posted as it comes).
    public let gate: TrafficGate?
    private let held = TrafficHeldCalls()
    let logger: Logger
    let client: HTTPClient
    private let clientInput: Int32
    private let output: OutputChannel
    private let session = Mutex(UpstreamSession())
    /// The client's messages (from the stdin reader) and the explorer's requests, in the order they come.
    private let lines: AsyncStream<Outgoing>
    private let linesInput: AsyncStream<Outgoing>.Continuation
    private let initialized: AsyncStream<Void>
    private let initializedInput: AsyncStream<Void>.Continuation
    private let inFlight = Mutex(InFlight())
    private let idle: AsyncStream<Void>
    private let idleInput: AsyncStream<Void>.Continuation
    private let slots: DispatchSemaphore
    /// The older HTTP+SSE transport, once in use: the stream that carries every server message, and where to POST.
    let legacy = Mutex<LegacyState>(LegacyState())
    /// The one attempt to open that stream under way, and the messages that wait for it.
    let connecting = Mutex<LegacyConnecting>(.idle)
    /// HTTP+SSE streams opened, for the task of ``run()`` that reads them.
    let legacyStreams: AsyncStream<LegacyStream>
    let legacyStreamsInput: AsyncStream<LegacyStream>.Continuation
    /// 2026-07-28 requests whose POST is under way, by id: a `notifications/cancelled` for one ends its POST (on
    /// Streamable HTTP, closing the answer is the cancellation) instead of being posted.
    let modernPosts = Mutex<[JSONRPCID: AsyncStream<[UInt8]>.Continuation]>([:])
    /// 2026-07-28 requests the client has cancelled whose POST is being ended: no error is written for them.
    let cancelledModern = Mutex<Set<JSONRPCID>>([])
    /// The `x-mcp-header` marks of the tools listed so far, for the `Mcp-Param-*` headers of 2026-07-28 calls.
    let toolHeaders = Mutex(ToolParamHeaders())
    /// Whether a 2026-07-28 request has been seen (only then are `tools/list` results read for `x-mcp-header`).
    let sawModern = Atomic<Bool>(false)

    /// One message to POST: a client's (its slot is given back when done) or the explorer's.
    private struct Outgoing: Sendable {
        let line: [UInt8]
        let origin: CallOrigin
    }

    private struct InFlight: Sendable {
        var count = 0
        var inputEnded = false
    }

    /// Creates a relay.
    /// - Parameters:
    ///   - clientInput: the client's side, read end (our stdin by default).
    ///   - clientOutput: the client's side, write end (our stdout by default).
    ///   - eventLoopGroup: the loops for the upstream connections.
    ///   - traffic: traffic control, when configured (its server timeouts are left out: see
    ///     ``TrafficPolicy/withoutServerTimeouts``), recording into `trafficStats`.
    public init(configuration: Configuration, recorder: TrafficRecorder, eventLoopGroup: any EventLoopGroup, logger: Logger,
                clientInput: Int32 = STDIN_FILENO, clientOutput: Int32 = STDOUT_FILENO,
                traffic: TrafficPolicy? = nil, trafficStats: TrafficStats = TrafficStats()) {
        gate = traffic.map { TrafficGate(policy: $0.withoutServerTimeouts, stats: trafficStats, clock: recorder.store.clock) }
        self.configuration = configuration
        self.recorder = recorder
        self.logger = logger
        self.clientInput = clientInput
        output = OutputChannel(fd: clientOutput)
        (lines, linesInput) = AsyncStream.makeStream(of: Outgoing.self)
        (legacyStreams, legacyStreamsInput) = AsyncStream.makeStream(of: LegacyStream.self)
        (initialized, initializedInput) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        (idle, idleInput) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        slots = DispatchSemaphore(value: configuration.maxInFlight)
        client = UpstreamHTTPClient.make(connectTimeout: configuration.connectTimeout, eventLoopGroup: eventLoopGroup)
    }

    /// Whether the upstream ended the session itself (its HTTP+SSE stream closed): mcpwatch then exits with status 1.
    public var upstreamEnded: Bool { legacy.withLock { $0.ended } }

    /// What the relay knows of its session (for tests and logs).
    public var currentSession: UpstreamSession { session.withLock { $0 } }

    /// Relays until the end of input (or ``stop()``, or graceful shutdown), then ends the session and closes the
    /// connections.
    public func run() async {
        var timer: TrafficTimer?
        if let gate, gate.needsTimer {
            timer = TrafficTimer(gate: gate, clock: recorder.store.clock) { [held] actions in held.resolve(actions) }
            timer?.start()
        }
        defer { timer?.stop() }
        startReader()
        struct GraceOver: Error {}
        await withTaskGroup(of: Void.self) { outer in
            outer.addTask { await self.listen() }
            outer.addTask { await self.readLegacyStreams() }
            outer.addTask {
                // Graceful shutdown ends the relay as the end of input does; cancelled: the relay is ending anyway.
                do { try await gracefulShutdown() } catch { return }
                self.logger.info("shutting down; ending the session")
                self.stop()
            }
            do {
                try await withThrowingDiscardingTaskGroup { posts in
                    for await outgoing in lines {
                        let fromClient = outgoing.origin == .client
                        if fromClient, PostedMessage(inspecting: outgoing.line).isInitialize {
                            // Whatever the client sends next needs the session id this answer names: a client that
                            // does not wait for it (raw pipelines) would otherwise race it and get HTTP 400.
                            await post(outgoing.line)
                            slots.signal()
                            continue
                        }
                        if fromClient, cancelModernPost(outgoing.line) {
                            slots.signal()
                            continue
                        }
                        // A 2026-07-28 request's POST can be ended by the client's cancellation: registered here,
                        // before the cancellation (read after it) can come.
                        let cancelled = fromClient ? modernCancellation(for: outgoing.line) : nil
                        inFlight.withLock { $0.count += 1 }
                        posts.addTask {
                            if let cancelled {
                                await self.post(outgoing.line, origin: outgoing.origin, until: cancelled)
                            } else {
                                await self.post(outgoing.line, origin: outgoing.origin)
                            }
                            if fromClient { self.slots.signal() }
                            self.finishedOne()
                        }
                    }
                    let none = inFlight.withLock { state -> Bool in
                        state.inputEnded = true
                        return state.count == 0
                    }
                    if !none {
                        let grace = configuration.shutdownGrace
                        let idle = idle
                        posts.addTask {
                            // Either every call ends, or the grace runs out: then the rest are dropped.
                            let drained = await withTaskGroup(of: Bool.self) { race in
                                race.addTask { for await _ in idle { return true }; return true }
                                race.addTask {
                                    do { try await Task.sleep(for: grace) } catch { return true }  // cancelled: drained
                                    return false
                                }
                                let first = await race.next() ?? true
                                race.cancelAll()
                                return first
                            }
                            if !drained { throw GraceOver() }
                        }
                    }
                }
            } catch {
                logger.warning("calls still running after the shutdown grace were dropped", metadata: ["grace": "\(configuration.shutdownGrace)"])
            }
            outer.cancelAll()
        }
        injected.detach()
        await deleteSession()
        try? await client.shutdown()
    }

    /// Ends the relay as if the input had ended (SIGINT, SIGTERM).
    public func stop() {
        linesInput.finish()
    }

    private func finishedOne() {
        let nowIdle = inFlight.withLock { state -> Bool in
            state.count -= 1
            return state.count == 0 && state.inputEnded
        }
        if nowIdle { idleInput.yield() }
    }

    // MARK: stdin

    /// Reads stdin on a thread of its own (blocking reads), measures each line and hands it to ``run()``; waits
    /// for a free slot first, so at most `maxInFlight` messages are held.
    private func startReader() {
        startRelayThread(name: "mcpwatch stdin") { [self] in
            let size = 256 << 10
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
            defer { buffer.deallocate() }
            var framer = LineFramer(maxLineBytes: configuration.maxMessageBytes)
            var inspector = MessageInspector()
            let clock = recorder.store.clock
            func handle(_ event: LineFramer.Event) {
                switch event {
                case .line(let line):
                    // Measured when sent (post(_:)); a line with CRLF or stray whitespace is sent trimmed.
                    guard let message = JSONLine.line(line) else { return }
                    slots.wait()
                    if case .terminated = linesInput.yield(Outgoing(line: message, origin: .client)) { slots.signal() }
                case .oversized(let prefix, let length):
                    let verdict = recorder.observeOversized(
                        prefix: prefix, length: length, limit: configuration.maxMessageBytes, direction: .clientToServer,
                        at: clock.now(), inspector: &inspector)
                    if case .rejectRequest(let id, let message) = verdict {
                        write(JSONRPCErrorResponse.line(id: id, code: JSONRPCErrorCode.invalidRequest, message: message))
                    }
                    logger.warning("dropped an oversized message from the client", metadata: ["bytes": "\(length)"])
                }
            }
            while true {
                let n = FileDescriptorIO.read(clientInput, into: buffer)
                if n <= 0 {
                    framer.finish(handle)
                    logger.info(n == 0 ? "client closed its input; ending the session" : "cannot read from the client: \(String(cString: strerror(errno)))")
                    linesInput.finish()
                    return
                }
                framer.append(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), handle)
            }
        }
    }

    // MARK: POST

    /// Sends one client message (or batch), or one of mcpwatch's own requests (`origin` dashboard), and relays the answer.
    func post(_ line: [UInt8], origin: CallOrigin = .client) async {
        var inspector = MessageInspector()
        let store = recorder.store
        if origin == .client, let gate, !(await admitted(line, gate: gate, inspector: &inspector)) { return }
        let message = line.withUnsafeBytes {
            recorder.observeOutgoing(frame: $0, direction: .clientToServer, at: store.clock.now(), inspector: &inspector, origin: origin)
        }
        if configuration.transport == .sse || legacy.withLock({ $0.endpoint != nil || $0.ended }) {
            await postLegacy(line, message: message)
            return
        }

        // A 2026-07-28 request goes as a modern client sends it: no session, the request's own headers.
        let modern = message.requestIDs.count == 1 ? ModernRequest(line: line) : nil
        var request = HTTPClientRequest(url: configuration.upstream.absoluteString)
        request.method = .POST
        for (name, value) in modern.map({ headers(for: $0, line: line) }) ?? session.withLock({ $0.headers(for: .post) }) {
            request.headers.add(name: name, value: value)
        }
        // otel.propagate: mcpwatch's span context in params._meta.traceparent, the rest unchanged.
        let traced = origin == .client ? line.withUnsafeBytes { recorder.propagatingTrace($0) } : nil
        request.body = .bytes(ByteBuffer(bytes: (traced ?? line).dropLast()))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, deadline: deadline(), logger: logger)
        } catch {
            if cancelledByClient(message.requestIDs) { return }
            fail(message.requestIDs, because: unavailable(error), code: JSONRPCErrorCode.upstreamUnavailable, lost: true)
            return
        }
        if message.isInitialize, let assigned = response.headers.first(name: "mcp-session-id") {
            session.withLock { $0.sessionID = assigned }
            recorder.bind(sessionID: assigned)
        }
        let status = Int(response.status.code)
        if configuration.transport == .auto, message.isInitialize, (400..<500).contains(status), status != 401, status != 403 {
            // The backwards-compatible way to find an older server: initialize refused with a 4xx, then a GET that
            // opens an SSE stream whose first event names where to POST.
            _ = try? await response.body.collect(upTo: 64 << 10)
            if await connectLegacy() {
                logger.info("the upstream speaks the older HTTP+SSE transport (2024-11-05); relaying over it")
                await postLegacy(line, message: message)
                return
            }
            fail(message.requestIDs,
                 because: "MCP server at \(configuration.upstream.absoluteString) answered HTTP \(status) \(response.status.reasonPhrase) to initialize, and offers no HTTP+SSE stream either",
                 code: JSONRPCErrorCode.upstreamUnavailable, lost: false)
            return
        }
        guard (200..<300).contains(status) else {
            if modern != nil, let id = message.requestIDs.first, await answeredWithError(response, requestID: id) { return }
            await failed(response, requestIDs: message.requestIDs)
            return
        }
        if message.method == "notifications/initialized" { initialized(transportReady: true) }
        let contentType = response.headers.first(name: "content-type")?.lowercased() ?? ""
        if contentType.hasPrefix("text/event-stream") {
            await relayEvents(response.body, isInitialize: message.isInitialize, requestIDs: message.requestIDs)
        } else if status != 202 {
            do {
                let body = try await response.body.collect(upTo: configuration.maxMessageBytes)
                let out = body.withUnsafeReadableBytes { JSONLine.line($0) }
                if let out { deliver(out, isInitialize: message.isInitialize) }
            } catch {
                if cancelledByClient(message.requestIDs) { return }
                let tooLarge = (error as? NIOTooManyBytesError) != nil
                fail(message.requestIDs,
                     because: tooLarge
                        ? "Response too large: the upstream's answer exceeds the limit of \(configuration.maxMessageBytes) bytes (--max-message-bytes)"
                        : "MCP server at \(configuration.upstream.absoluteString) broke the connection while answering: \(UpstreamHTTPClient.describe(error))",
                     code: tooLarge ? JSONRPCErrorCode.responseTooLarge : JSONRPCErrorCode.upstreamUnavailable, lost: true)
                return
            }
        }
        // A request whose answer never came (202 to a request, an SSE stream that ended early): say so rather than
        // leave the client waiting.
        if cancelledByClient(message.requestIDs) { return }
        fail(message.requestIDs,
             because: "MCP server at \(configuration.upstream.absoluteString) ended its answer (HTTP \(status)) without a response to this request",
             code: JSONRPCErrorCode.upstreamUnavailable, lost: true)
    }

    /// Traffic control's say on a client's message: true when it goes on to the upstream (now, or after waiting in
    /// the queue); false when mcpwatch has answered it (or dropped a cancellation of a call that never went).
    private func admitted(_ line: [UInt8], gate: TrafficGate, inspector: inout MessageInspector) async -> Bool {
        let inspected = line.withUnsafeBytes { inspector.inspect(TrafficRecorder.trimmingLineEnd($0)) }
        let (disposition, actions) = line.withUnsafeBytes {
            gate.fromClient(frame: $0, inspected: inspected, caller: .stdio, now: recorder.store.clock.now())
        }
        held.resolve(actions)
        switch disposition {
        case .forward:
            return true
        case .drop:
            return false
        case .answer(let bytes):
            write(bytes)
            return false
        case .hold:
            guard case .message(let info) = inspected, let id = info.id else { return true }
            if case .answer(let bytes) = await held.wait(TrafficGate.CallKey(session: nil, id: id)) {
                write(bytes)
                return false
            }
            return true
        }
    }

    /// Calls the gate let through that ended without an answer it saw: their slots free.
    private func endGated(_ ids: [JSONRPCID]) {
        guard let gate, !ids.isEmpty else { return }
        held.resolve(gate.ended(ids.map { TrafficGate.CallKey(session: nil, id: $0) }, now: recorder.store.clock.now()))
    }

    /// The client has initialized the session: the standalone stream (Streamable HTTP only) may open, and the explorer's
    /// requests may go on the session too (each its own POST, its answers taken out before the client would see them).
    func initialized(transportReady: Bool) {
        if transportReady { initializedInput.yield() }
        injected.attach { [weak self] line, _ in
            // Posted by run(), like the client's messages (without taking a slot: the explorer waits for its own).
            guard let self else { return false }
            if case .terminated = self.linesInput.yield(Outgoing(line: line, origin: .dashboard)) { return false }
            return true
        }
    }

    /// Relays each event of an SSE answer as one line, as it arrives.
    private func relayEvents(_ body: HTTPClientResponse.Body, isInitialize: Bool, requestIDs: [JSONRPCID]) async {
        do {
            try await SSEMessages.read(body, maxEventBytes: configuration.maxMessageBytes, anomalies: recorder.store) { line in
                deliver(line, isInitialize: isInitialize)
            }
        } catch {
            guard !Task.isCancelled else { return }
            fail(requestIDs, because: "MCP server at \(configuration.upstream.absoluteString) broke the stream mid-answer: \(UpstreamHTTPClient.describe(error))",
                 code: JSONRPCErrorCode.upstreamUnavailable, lost: true)
        }
    }

    /// An answer with a status other than 2xx: each request gets a JSON-RPC error naming it.
    func failed(_ response: HTTPClientResponse, requestIDs: [JSONRPCID]) async {
        let status = Int(response.status.code)
        let body = (try? await response.body.collect(upTo: 64 << 10)).map { String(buffer: $0) } ?? ""
        var detail = body.trimmingCharacters(in: .whitespacesAndNewlines)
        if let data = detail.data(using: .utf8), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let error = object["error"] as? [String: Any], let text = error["message"] as? String {
            detail = text
        }
        if status == 404, session.withLock({ $0.sessionID }) != nil {
            logger.warning("the MCP server no longer knows the session (HTTP 404); the client must reconnect")
        }
        let text = "MCP server at \(configuration.upstream.absoluteString) answered HTTP \(status) \(response.status.reasonPhrase)"
            + (detail.isEmpty ? "" : ": \(detail.prefix(500))")
        logger.warning("upstream refused a message", metadata: ["status": "\(status)"])
        fail(requestIDs, because: text, code: JSONRPCErrorCode.upstreamUnavailable, lost: false)
    }

    // MARK: the standalone GET stream

    /// After initialization, listens on the standalone SSE stream for the server's own messages; reconnects with
    /// `Last-Event-ID`, backing off, at most `maxReconnects` times in a row.
    private func listen() async {
        for await _ in initialized { break }
        var failures = 0
        while !Task.isCancelled {
            var request = HTTPClientRequest(url: configuration.upstream.absoluteString)
            request.method = .GET
            for (name, value) in session.withLock({ $0.headers(for: .listen) }) { request.headers.add(name: name, value: value) }
            var delivered = false
            do {
                let response = try await client.execute(request, deadline: deadline(), logger: logger)
                let status = Int(response.status.code)
                if status == 405 {
                    logger.debug("the MCP server offers no standalone SSE stream (HTTP 405)")
                    return
                }
                guard (200..<300).contains(status),
                      response.headers.first(name: "content-type")?.lowercased().hasPrefix("text/event-stream") == true
                else {
                    logger.warning("the MCP server refused the standalone SSE stream", metadata: ["status": "\(status)"])
                    if status == 404 || status == 400 { return }
                    throw StreamEnded()
                }
                logger.debug("listening on the standalone SSE stream")
                try await SSEMessages.read(response.body, maxEventBytes: configuration.maxMessageBytes, anomalies: recorder.store) { event in
                    if let id = event.id { session.withLock { $0.lastEventID = id } }
                    return true
                } deliver: { line in
                    delivered = true
                    deliver(line, isInitialize: false)
                }
                logger.debug("the standalone SSE stream ended")
            } catch {
                if Task.isCancelled { return }
                logger.debug("the standalone SSE stream broke", metadata: ["error": "\(error)"])
            }
            failures = delivered ? 0 : failures + 1
            guard failures <= configuration.maxReconnects else {
                logger.warning("gave up on the standalone SSE stream after \(configuration.maxReconnects) reconnections; server-initiated messages outside calls are no longer relayed")
                return
            }
            // 0.25 s, 0.5 s, 1 s, ... at most 8 s.
            let backoff = Duration.milliseconds(250 << min(failures, 5))
            do { try await Task.sleep(for: backoff) } catch { return }
        }
    }

    private struct StreamEnded: Error {}

    // MARK: the end of the session

    /// `DELETE` for the session, best effort.
    private func deleteSession() async {
        let headers = session.withLock { $0.sessionID == nil ? nil : $0.headers(for: .delete) }
        guard let headers else { return }
        var request = HTTPClientRequest(url: configuration.upstream.absoluteString)
        request.method = .DELETE
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        do {
            let response = try await client.execute(
                request, deadline: .now() + .nanoseconds(configuration.deleteTimeout.inNanoseconds), logger: logger)
            _ = try? await response.body.collect(upTo: 64 << 10)
            logger.debug("ended the session", metadata: ["status": "\(response.status.code)"])
        } catch {
            logger.debug("could not end the session with DELETE", metadata: ["error": "\(error)"])
        }
        if let id = session.withLock({ $0.sessionID }) { recorder.store.sessions.close(id: id) }
    }

    // MARK: writing

    /// Measures a line from the server and writes it to stdout.
    func deliver(_ line: [UInt8], isInitialize: Bool) {
        if sawModern.load(ordering: .relaxed) { toolHeaders.withLock { $0.learn(fromResult: line) } }
        if isInitialize {
            let result = line.withUnsafeBytes { InitializeMessage.parseResult($0) }
            if let version = result.protocolVersion { session.withLock { $0.protocolVersion = version } }
        }
        var inspector = MessageInspector()
        let claimed = line.withUnsafeBytes { frame -> Bool in
            let now = recorder.store.clock.now()
            guard let gate else {
                let id = recorder.observe(frame: frame, direction: .serverToClient, at: now, inspector: &inspector)
                // The answer to one of mcpwatch's own requests stays here: the client never asked for it.
                return injected.claim(id, line: frame)
            }
            let inspected = recorder.observeInspecting(frame: frame, direction: .serverToClient, at: now, inspector: &inspector)
            if case .message(let info) = inspected, info.kind == .result || info.kind == .error, injected.claim(info.id, line: frame) { return true }
            let (relay, actions) = gate.fromServer(frame: frame, inspected: inspected, session: nil, now: now)
            held.resolve(actions)
            return !relay
        }
        if !claimed { write(line) }
    }

    func write(_ line: [UInt8]) {
        if !output.write(line) {
            logger.info("the client closed its output; ending the session")
            stop()
        }
    }

    /// Answers requests that the upstream will not answer. `lost`: no answer came (down, timeout, broken stream),
    /// recorded as lost; otherwise the upstream refused the message (an HTTP error), and the error line stands for
    /// its answer and is measured as one.
    func fail(_ ids: [JSONRPCID], because text: String, code: Int, lost: Bool) {
        guard !ids.isEmpty else { return }
        let store = recorder.store
        if lost {
            endGated(ids)
            let pending = recorder.lose(ids: ids, reason: text, at: store.clock.now())
            if !pending.isEmpty { logger.warning("answered requests with an error", metadata: ["requests": "\(pending.count)", "reason": "\(text)"]) }
            for id in pending {
                let line = JSONRPCErrorResponse.line(id: id, code: code, message: text)
                if !line.withUnsafeBytes({ injected.claim(id, line: $0) }) { write(line) }
            }
        } else {
            for id in ids { deliver(JSONRPCErrorResponse.line(id: id, code: code, message: text), isInitialize: false) }
        }
    }

    func unavailable(_ error: any Error) -> String {
        return UpstreamHTTPClient.timedOut(error)
            ? "MCP server at \(configuration.upstream.absoluteString) did not answer within \(configuration.responseTimeout) (--upstream-timeout)"
            : "MCP server at \(configuration.upstream.absoluteString) is unavailable: \(UpstreamHTTPClient.describe(error))"
    }

    func deadline() -> NIODeadline {
        UpstreamHTTPClient.deadline(after: configuration.responseTimeout)
    }
}

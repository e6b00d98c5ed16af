import AsyncHTTPClient
import Foundation
import MCPWatchCore
import NIOCore
import NIOHTTP1
import Synchronization

/// Drives MCP `tools/call` load over the Streamable HTTP transport (one session, each call its own POST) and
/// measures every call with the same bookkeeping as over stdio (``BenchState``).
///
/// Closed loop: `concurrency` workers, each with a call in flight on a connection of its own (over plain HTTP, a
/// thread each with a blocking ``RawHTTPConnection``, so that the generator spends little CPU per call). Open loop: a
/// scheduler starts each call at its scheduled time on a task of its own; latency counts from the schedule. An
/// answer may come as JSON or as an SSE stream (the response is the `data:` event that carries our id).
public final class HTTPBenchRunner: Sendable {
    /// What the run does.
    public let configuration: BenchConfiguration
    /// The MCP endpoint.
    public let url: String
    private let state: Mutex<BenchState>
    private let session = Mutex<(id: String?, protocolVersion: String?)>((nil, nil))
    private let clock = SystemWatchClock()
    private let client: HTTPClient
    /// Plain HTTP: closed-loop calls use ``RawHTTPConnection``s (the handshake, the open loop and HTTPS use the client).
    private let rawTarget: RawTarget?

    /// Creates a runner; it owns an HTTP client until ``run(progress:)`` returns.
    public init(configuration: BenchConfiguration, url: String) throws(WatchError) {
        let (components, scheme) = try Self.check(url: url)
        self.configuration = configuration
        self.url = url
        state = Mutex(BenchState(configuration: configuration))
        let connections: Int = switch configuration.load {
        case .closed(let concurrency): concurrency
        case .open(_, let maxInFlight): min(maxInFlight, 256)
        }
        if scheme == "http", let host = components.host {
            let port = components.port ?? 80
            var path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
            if let query = components.percentEncodedQuery { path += "?" + query }
            let bracketed = host.contains(":") ? "[\(host)]" : host
            rawTarget = RawTarget(host: host, port: port, hostHeader: components.port == nil ? bracketed : "\(bracketed):\(port)", path: path)
        } else {
            rawTarget = nil
        }
        var http = HTTPClient.Configuration()
        http.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, connections))
        http.timeout = .init(connect: .seconds(10))
        // A refused connection must fail its request at once (and count towards the server being gone), not be
        // retried until the request's deadline.
        http.connectionPool.retryConnectionEstablishment = false
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
    }

    /// Checks that `url` is an http(s) address with a host; returns its parts.
    /// - Throws: ``WatchError`` with code `invalidArgument`.
    @discardableResult
    public static func check(url: String) throws(WatchError) -> (URLComponents, String) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", components.host?.isEmpty == false else {
            throw WatchError(.invalidArgument, "--url must be an http:// or https:// address of an MCP endpoint, not '\(url)'")
        }
        return (components, scheme)
    }

    /// Handshake, warmup, measured phase; returns when the last call is answered or timed out.
    public func run(progress: (@Sendable (BenchProgress) -> Void)? = nil) async throws(WatchError) -> BenchResult {
        let outcome: Result<BenchResult, WatchError>
        do {
            outcome = .success(try await measure(progress: progress))
        } catch {
            outcome = .failure(error)
        }
        try? await client.shutdown()
        return try outcome.get()
    }

    /// Ends the run early: calls still out count as `transport` errors, the result is returned with
    /// `completed` false and this reason. Safe from any thread.
    public func abort(_ reason: String) { end(reason, dropOutstanding: false) }

    /// Ends the run early because the user asked (Ctrl-C): the result counts the calls that ended, and the calls
    /// still out neither as calls nor as errors. Safe from any thread.
    public func interrupt(_ reason: String) { end(reason, dropOutstanding: true) }

    private func end(_ reason: String, dropOutstanding: Bool) {
        let now = clock.now().nanoseconds
        state.withLock { $0.fail(reason, at: now, dropOutstanding: dropOutstanding) }
        pendingHandshake.withLock { $0?.cancel() }
    }

    /// The handshake while it runs, so that ``abort(_:)`` can end the wait for it.
    private let pendingHandshake = Mutex<Task<BenchResult.Server, any Error>?>(nil)

    private func measure(progress: (@Sendable (BenchProgress) -> Void)?) async throws(WatchError) -> BenchResult {
        let startedAt = Date().ISO8601Format()
        let handshake = Task { try await self.handshake() }
        pendingHandshake.withLock { $0 = handshake }
        let server: BenchResult.Server
        do {
            server = try await handshake.value
        } catch let error as WatchError {
            throw error
        } catch {
            throw WatchError(.initializeFailed, "no answer to initialize from \(url): \(error)")
        }
        pendingHandshake.withLock { $0 = nil }
        let begin = clock.now().nanoseconds
        state.withLock { $0.begin(at: begin) }
        let reporter = progress.map { progress in
            Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    let now = self.clock.now().nanoseconds
                    progress(self.state.withLock { $0.progress(at: now, recentCallsPerSecond: 0) })
                }
            }
        }
        final class Running: Sendable { let count = Atomic(0) }
        let running = Running()
        await withDiscardingTaskGroup { group in
            func add(_ work: @escaping @Sendable () async -> Void) {
                running.count.add(1, ordering: .sequentiallyConsistent)
                group.addTask {
                    await work()
                    running.count.subtract(1, ordering: .sequentiallyConsistent)
                }
            }
            switch configuration.load {
            case .closed(let concurrency) where rawTarget != nil:
                add { await self.rawWorkers(concurrency, target: self.rawTarget!) }
            case .closed(let concurrency):
                for _ in 0..<concurrency { add { await self.worker() } }
            case .open(let rate, _):
                add { await self.schedule(rate: rate) }
            }
            // A run that ends early (the server went away, or abort) does not wait for the requests still out.
            while running.count.load(ordering: .sequentiallyConsistent) > 0 {
                if state.withLock({ $0.failure != nil }) {
                    group.cancelAll()
                    break
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        reporter?.cancel()
        await endSession()
        return state.withLock { $0.result(startedAt: startedAt, server: server) }
    }

    // MARK: Load

    private func worker() async {
        var out: [UInt8] = []
        while true {
            out.removeAll(keepingCapacity: true)
            let now = clock.now().nanoseconds
            let started = state.withLock { $0.startCall(intended: now, into: &out) }
            guard started, !out.isEmpty else {
                state.withLock { $0.advance(to: self.clock.now().nanoseconds) }
                return
            }
            await call(out)
        }
    }

    private func schedule(rate: Double) async {
        var out: [UInt8] = []
        await withDiscardingTaskGroup { group in
            while true {
                out.removeAll(keepingCapacity: true)
                let now = clock.now().nanoseconds
                let (sending, next) = state.withLock { s in
                    s.startScheduledCalls(now: now, rate: rate, into: &out)
                    _ = s.expire(at: now)
                    return (s.isSending, s.nextScheduled(rate: rate))
                }
                for line in out.split(separator: 0x0A) {
                    let request = Array(line)
                    group.addTask { await self.call(request + [0x0A]) }
                }
                guard sending else { break }
                let wait = next > now ? next - now : 0
                if wait > 50_000 { try? await Task.sleep(for: .nanoseconds(Int64(min(wait, 50_000_000)))) } else { await Task.yield() }
            }
        }
        state.withLock { $0.advance(to: self.clock.now().nanoseconds) }
    }

    /// Closed loop over plain HTTP: `concurrency` connections (``RawHTTPConnection``) driven by one thread per two
    /// cores with `poll`, each connection with one call in flight: few threads, so little CPU goes to switching
    /// between them or waiting on the bookkeeping's lock.
    private func rawWorkers(_ concurrency: Int, target: RawTarget) async {
        let threads = max(1, min(concurrency, ProcessInfo.processInfo.activeProcessorCount / 2))
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let running = Mutex(threads)
            for t in 0..<threads {
                let connections = concurrency / threads + (t < concurrency % threads ? 1 : 0)
                let thread = Thread { [self] in
                    rawLoop(connections: connections, target: target)
                    if running.withLock({ count -> Int in
                        count -= 1
                        return count
                    }) == 0 { continuation.resume() }
                }
                thread.name = "mcpwatch bench worker"
                thread.stackSize = 1 << 20
                thread.start()
            }
        }
    }

    private func rawLoop(connections count: Int, target: RawTarget) {
        struct Slot {
            var connection: RawHTTPConnection?
            var id: Int?
            var deadline: UInt64 = 0
            var busy = false
        }
        let (sessionID, version) = session.withLock { ($0.id, $0.protocolVersion) }
        var head = "POST \(target.path) HTTP/1.1\r\nHost: \(target.hostHeader)\r\nContent-Type: application/json\r\n"
            + "Accept: application/json, text/event-stream\r\n"
        if let sessionID { head += "Mcp-Session-Id: \(sessionID)\r\n" }
        if let version { head += "MCP-Protocol-Version: \(version)\r\n" }
        head += "Content-Length: "
        let prefix = Array(head.utf8)
        let timeout = UInt64(configuration.timeout.inNanoseconds)
        var slots = Array(repeating: Slot(), count: count)
        var out: [UInt8] = []
        var request: [UInt8] = []
        var sending = true
        var finished: [(Result<[[UInt8]], PostError>, Int?)] = []

        /// Starts the next call on a slot; false when the run sends no more.
        func start(_ i: Int) -> Bool {
            out.removeAll(keepingCapacity: true)
            let now = clock.now().nanoseconds
            guard state.withLock({ $0.startCall(intended: now, into: &out) }), !out.isEmpty else { return false }
            let body = out.dropLast()  // the newline
            request.removeAll(keepingCapacity: true)
            request.append(contentsOf: prefix)
            request.append(contentsOf: "\(body.count)\r\n\r\n".utf8)
            request.append(contentsOf: body)
            slots[i].id = Self.id(of: Array(body))
            slots[i].deadline = now + timeout
            do throws(RawHTTPConnection.Failure) {
                if slots[i].connection == nil { slots[i].connection = try RawHTTPConnection(host: target.host, port: target.port) }
                try slots[i].connection!.send(request)
                slots[i].busy = true
            } catch {
                slots[i].connection = nil
                finished.append((.failure(Self.postError(error)), slots[i].id))
            }
            return true
        }

        var fds = [pollfd](repeating: pollfd(fd: -1, events: Int16(POLLIN), revents: 0), count: count)
        while true {
            // Ended early (the server is gone, or an interrupt): calls still out were counted; do not wait for them.
            if state.withLock({ $0.isFinished }) { break }
            if sending {
                for i in slots.indices where !slots[i].busy {
                    if !start(i) {
                        sending = false
                        break
                    }
                }
            }
            if !finished.isEmpty {
                for (answer, id) in finished { record(answer, id: id) }
                finished.removeAll(keepingCapacity: true)
                continue  // their slots are free again
            }
            guard slots.contains(where: \.busy) else { break }
            for i in slots.indices { fds[i].fd = slots[i].busy ? slots[i].connection!.fd : -1; fds[i].revents = 0 }
            _ = poll(&fds, nfds_t(count), 100)
            let now = clock.now().nanoseconds
            for i in slots.indices where slots[i].busy {
                if fds[i].revents != 0 {
                    do throws(RawHTTPConnection.Failure) {
                        let connection = slots[i].connection!
                        try connection.receive()
                        if let response = try connection.nextResponse() {
                            if connection.closed || response.closes { slots[i].connection = nil }
                            finished.append((Self.messages(status: response.status, eventStream: response.isEventStream, body: response.body), slots[i].id))
                            slots[i].busy = false
                        }
                    } catch {
                        slots[i].connection = nil
                        slots[i].busy = false
                        finished.append((.failure(Self.postError(error)), slots[i].id))
                    }
                } else if now >= slots[i].deadline {
                    slots[i].connection = nil
                    slots[i].busy = false
                    finished.append((.failure(.timeout), slots[i].id))
                }
            }
            for (answer, id) in finished { record(answer, id: id) }
            finished.removeAll(keepingCapacity: true)
        }
        state.withLock { $0.advance(to: self.clock.now().nanoseconds) }
    }

    static func postError(_ error: RawHTTPConnection.Failure) -> PostError {
        switch error {
        case .timeout: .timeout
        case .transport(let text): .transport(text)
        case .refused(let text): .refused(text)
        }
    }

    /// Where plain-HTTP requests go, when the URL allows the raw client.
    struct RawTarget: Sendable {
        let host: String
        let port: Int
        let hostHeader: String
        let path: String
    }

    /// The messages of an answer: none for 202 or an empty body, each `data:` event of an SSE body, or the JSON body.
    static func messages(status: Int, eventStream: Bool, body: [UInt8]) -> Result<[[UInt8]], PostError> {
        guard (200..<300).contains(status) else { return .failure(.status(status, String(decoding: body.prefix(200), as: UTF8.self))) }
        if status == 202 || body.isEmpty { return .success([]) }
        return .success(eventStream ? sseData(body) : [body])
    }

    /// Why the run ends when the server refuses connections.
    private var refusedReason: String {
        let address = URLComponents(string: url).map { "\($0.host ?? "")\($0.port.map { ":\($0)" } ?? "")" } ?? url
        return "the server stopped accepting connections (connection refused at \(address)): it exited or crashed"
    }

    /// Sends one request line (with its newline) and records how it ended.
    private func call(_ line: [UInt8]) async {
        let body = Array(line.dropLast())
        let id = Self.id(of: body)
        let answer: Result<[[UInt8]], PostError>
        do {
            answer = .success(try await post(body, timeout: configuration.timeout))
        } catch {
            answer = .failure(error)
        }
        record(answer, id: id)
    }

    /// Records how a call ended: its answer's messages, or the failure.
    private func record(_ answer: Result<[[UInt8]], PostError>, id: Int?) {
        switch answer {
        case .success(let answer):
            var batch = ReadBatch()
            var inspector = MessageInspector()
            var replies: [UInt8] = []
            for message in answer { message.withUnsafeBytes { batch.take($0, inspector: &inspector, replies: &replies) } }
            let now = clock.now().nanoseconds
            state.withLock { s in
                s.reached()
                if batch.completions.isEmpty, let id {
                    s.unexpectedLines += 1
                    s.lose(id: id, at: now)
                }
                for completion in batch.completions { s.complete(id: completion.id, outcome: completion.outcome, at: now) }
                s.unexpectedLines += batch.unexpected
                s.note(batch.errorExample)
                s.advance(to: now)
            }
        case .failure(let error):
            let now = clock.now().nanoseconds
            state.withLock { s in
                switch error {
                case .timeout:
                    if let id { s.expireCall(id: id, at: now) }
                case .refused:
                    s.refuse(id: id, at: now, reason: refusedReason)
                case .status:
                    s.reached()
                    if let id { s.lose(id: id, at: now) }
                case .transport:
                    if let id { s.lose(id: id, at: now) }
                }
                s.advance(to: now)
            }
        }
    }

    static func id(of body: [UInt8]) -> Int? {
        var inspector = MessageInspector()
        let info = body.withUnsafeBytes { inspector.inspect($0) }
        guard case .message(let message) = info, let text = message.id?.json else { return nil }
        return Int(text)
    }

    // MARK: HTTP

    enum PostError: Error {
        case timeout
        case status(Int, String)
        case transport(String)
        /// Nothing listens at the URL's address (any more).
        case refused(String)
    }

    /// POSTs one JSON-RPC message; returns the messages of the answer (JSON body, or each SSE `data:` event).
    private func post(_ body: [UInt8], timeout: Duration) async throws(PostError) -> [[UInt8]] {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json, text/event-stream")
        let (sessionID, version) = session.withLock { ($0.id, $0.protocolVersion) }
        if let sessionID { request.headers.add(name: "Mcp-Session-Id", value: sessionID) }
        if let version { request.headers.add(name: "MCP-Protocol-Version", value: version) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let deadline = NIODeadline.now() + .nanoseconds(timeout.inNanoseconds)
        do {
            let response = try await client.execute(request, deadline: deadline)
            if let id = response.headers.first(name: "Mcp-Session-Id") { session.withLock { $0.id = id } }
            var buffer = try await response.body.collect(upTo: 64 << 20)
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            guard (200..<300).contains(Int(response.status.code)) else {
                throw PostError.status(Int(response.status.code), String(decoding: bytes.prefix(200), as: UTF8.self))
            }
            if response.status == .accepted || bytes.isEmpty { return [] }
            let type = response.headers.first(name: "Content-Type")?.lowercased() ?? ""
            return type.hasPrefix("text/event-stream") ? Self.sseData(bytes) : [bytes]
        } catch let error as PostError {
            throw error
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw .timeout
        } catch {
            let text = "\(error)"
            throw Self.isRefusal(text) ? .refused(text) : .transport(text)
        }
    }

    static func isRefusal(_ text: String) -> Bool {
        text.contains("connectionRefused") || text.contains("Connection refused") || text.contains("ECONNREFUSED")
    }

    /// The `data:` payloads of an SSE body, one per event (multi-line data joined with newlines).
    static func sseData(_ bytes: [UInt8]) -> [[UInt8]] {
        var events: [[UInt8]] = []
        var current: [UInt8] = []
        var hasData = false
        for rawLine in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            var line = rawLine
            if line.last == 0x0D { line = line.dropLast() }
            if line.isEmpty {
                if hasData { events.append(current) }
                current = []
                hasData = false
            } else if line.starts(with: Array("data:".utf8)) {
                var payload = line.dropFirst(5)
                if payload.first == 0x20 { payload = payload.dropFirst() }
                if hasData { current.append(0x0A) }
                current.append(contentsOf: payload)
                hasData = true
            }
        }
        if hasData { events.append(current) }
        return events
    }

    private func handshake() async throws(WatchError) -> BenchResult.Server {
        let initialize = #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"\#(BenchRunner.protocolVersion)","capabilities":{},"clientInfo":{"name":"\#(BenchRunner.clientName)","version":"\#(BenchServer.version)"}}}"#
        let answer: [[UInt8]]
        do {
            answer = try await post(Array(initialize.utf8), timeout: configuration.handshakeTimeout)
        } catch {
            throw WatchError(.initializeFailed, "no answer to initialize from \(url): \(Self.describe(error))")
        }
        var batch = ReadBatch()
        var inspector = MessageInspector()
        var replies: [UInt8] = []
        for message in answer { message.withUnsafeBytes { batch.take($0, inspector: &inspector, replies: &replies) } }
        switch batch.handshake {
        case .answered(let server)?:
            session.withLock { $0.protocolVersion = server.protocolVersion }
            do {
                _ = try await post(Array(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.utf8), timeout: configuration.handshakeTimeout)
            } catch {
                throw WatchError(.initializeFailed, "notifications/initialized was refused by \(url): \(Self.describe(error))")
            }
            return server
        case .failed(let reason)?:
            throw WatchError(.initializeFailed, "the server refused initialize: \(reason)")
        case nil:
            throw WatchError(.initializeFailed, "\(url) did not answer initialize with an MCP result (is it a Streamable HTTP MCP endpoint?)")
        }
    }

    /// Ends the session politely (DELETE), as the transport asks of clients that are done.
    private func endSession() async {
        guard let id = session.withLock({ $0.id }) else { return }
        var request = HTTPClientRequest(url: url)
        request.method = .DELETE
        request.headers.add(name: "Mcp-Session-Id", value: id)
        _ = try? await client.execute(request, timeout: .seconds(5))
    }

    static func describe(_ error: PostError) -> String {
        switch error {
        case .timeout: "timed out"
        case .status(let code, let body): "HTTP \(code)\(body.isEmpty ? "" : ": \(body)")"
        case .transport(let text): isRefusal(text) ? "connection refused" : text
        case .refused: "connection refused"
        }
    }
}

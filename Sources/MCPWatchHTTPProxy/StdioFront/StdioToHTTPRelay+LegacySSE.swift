import AsyncHTTPClient
import Foundation
import MCPWatchCore
import NIOCore

/// The older HTTP+SSE transport (2024-11-05) behind the stdio front: a GET opens an SSE stream whose first event,
/// `endpoint`, names where to POST; every POST is answered 202, and the answers (and everything else the server
/// sends) come on that one stream. Used with `--upstream-transport sse`, or found when the upstream refuses a
/// Streamable HTTP `initialize` with a 4xx (``StdioToHTTPRelay/post(_:origin:)``).
extension StdioToHTTPRelay {
    /// What the relay knows of the HTTP+SSE stream.
    struct LegacyState: Sendable {
        /// Where messages are POSTed (the stream's `endpoint` event); nil until connected.
        var endpoint: URL?
        /// Set once the stream has ended: the session is over.
        var ended = false
    }

    /// The one attempt to open the stream: none, or under way with the messages that wait for its outcome.
    enum LegacyConnecting: Sendable {
        case idle
        case underway(waiters: [CheckedContinuation<Bool, Never>])
    }

    /// A stream just opened, for the reading task of ``run()``.
    struct LegacyStream: Sendable {
        let body: HTTPClientResponse.Body
        /// Gets the endpoint once announced, or nil when the stream names none.
        let endpoints: AsyncStream<URL?>.Continuation
    }

    /// Opens the SSE stream and waits for its `endpoint` event (the first caller opens it, the others wait for it).
    /// - Returns: whether the stream is open and the endpoint known.
    func connectLegacy() async -> Bool {
        if legacy.withLock({ $0.endpoint != nil }) { return true }
        let opens = connecting.withLock { state -> Bool in
            guard case .idle = state else { return false }
            state = .underway(waiters: [])
            return true
        }
        guard opens else {
            return await withCheckedContinuation { continuation in
                let waiting = connecting.withLock { state -> Bool in
                    guard case .underway(var waiters) = state else { return false }
                    waiters.append(continuation)
                    state = .underway(waiters: waiters)
                    return true
                }
                // The attempt ended in between: its outcome is in the state.
                if !waiting { continuation.resume(returning: legacy.withLock { $0.endpoint != nil }) }
            }
        }
        let connected = await openLegacy()
        let waiters = connecting.withLock { state -> [CheckedContinuation<Bool, Never>] in
            defer { state = .idle }
            guard case .underway(let waiters) = state else { return [] }
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: connected) }
        return connected
    }

    private func openLegacy() async -> Bool {
        var request = HTTPClientRequest(url: configuration.upstream.absoluteString)
        request.method = .GET
        request.headers.add(name: "Accept", value: "text/event-stream")
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, deadline: deadline(), logger: logger)
        } catch {
            logger.warning("cannot open the HTTP+SSE stream", metadata: ["error": "\(UpstreamHTTPClient.describe(error))"])
            return false
        }
        guard (200..<300).contains(Int(response.status.code)),
              response.headers.first(name: "content-type")?.lowercased().hasPrefix("text/event-stream") == true else {
            logger.warning("the upstream has no HTTP+SSE stream either", metadata: ["status": "\(response.status.code)"])
            _ = try? await response.body.collect(upTo: 64 << 10)
            return false
        }
        let (endpoints, endpointInput) = AsyncStream.makeStream(of: URL?.self, bufferingPolicy: .bufferingNewest(1))
        if case .terminated = legacyStreamsInput.yield(LegacyStream(body: response.body, endpoints: endpointInput)) { return false }
        for await endpoint in endpoints {
            return endpoint != nil
        }
        return false
    }

    /// Reads the HTTP+SSE streams as they are opened (a task of ``run()``, so that none outlives the relay).
    func readLegacyStreams() async {
        await withDiscardingTaskGroup { group in
            for await stream in legacyStreams {
                group.addTask { await self.readLegacy(stream) }
            }
        }
    }

    /// Relays every message of one stream to the client; the endpoint event comes first, and a stream that names none
    /// within the response timeout is of no use (it is closed).
    private func readLegacy(_ stream: LegacyStream) async {
        enum Part: Sendable { case read, deadline }
        await withTaskGroup(of: Part.self) { race in
            race.addTask {
                await self.readLegacyBody(stream)
                return .read
            }
            race.addTask {
                try? await Task.sleep(for: self.configuration.responseTimeout)
                return .deadline
            }
            while let part = await race.next() {
                if case .deadline = part, legacy.withLock({ $0.endpoint != nil || $0.ended }) { continue }
                // The stream ended, or named no endpoint in time.
                stream.endpoints.yield(nil)
                race.cancelAll()
                return
            }
        }
    }

    private func readLegacyBody(_ stream: LegacyStream) async {
        var announced = false
        do {
            try await SSEMessages.read(stream.body, maxEventBytes: configuration.maxMessageBytes, anomalies: recorder.store) { event in
                if event.type == "endpoint" {
                    let text = String(decoding: event.data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    let url = URL(string: text, relativeTo: configuration.upstream)?.absoluteURL
                    if !announced, let url {
                        announced = true
                        legacy.withLock { $0.endpoint = url }
                        stream.endpoints.yield(url)
                    }
                    return false
                }
                return event.type == nil || event.type == "message"
            } deliver: { line in
                deliver(line, isInitialize: false)
            }
        } catch {}
        stream.endpoints.yield(nil)
        legacyEnded()
    }

    /// The HTTP+SSE stream ended: the server's session is gone, so every request still waiting gets an error and the
    /// relay ends, as it does when a stdio server exits.
    private func legacyEnded() {
        let wasOpen = legacy.withLock { state -> Bool in
            guard state.endpoint != nil, !state.ended else { return false }
            state.ended = true
            state.endpoint = nil
            return true
        }
        guard wasOpen, !Task.isCancelled else { return }
        let text = "the MCP server at \(configuration.upstream.absoluteString) ended its HTTP+SSE stream before answering this request"
        for id in recorder.serverGone(at: recorder.store.clock.now()) {
            let line = JSONRPCErrorResponse.line(id: id, code: JSONRPCErrorCode.upstreamUnavailable, message: text)
            if !line.withUnsafeBytes({ injected.claim(id, line: $0) }) { write(line) }
        }
        logger.warning("the MCP server ended its HTTP+SSE stream; ending the session")
        stop()
    }

    /// Sends one message over the older transport: a POST to the stream's endpoint (answered 202); the answers come on
    /// the stream.
    func postLegacy(_ line: [UInt8], message: PostedMessage) async {
        let endpoint: URL?
        if legacy.withLock({ $0.ended }) {
            endpoint = nil
        } else if await connectLegacy() {
            endpoint = legacy.withLock { $0.endpoint }
        } else {
            endpoint = nil
        }
        guard let endpoint else {
            fail(message.requestIDs, because: "MCP server at \(configuration.upstream.absoluteString) is unavailable: no HTTP+SSE stream",
                 code: JSONRPCErrorCode.upstreamUnavailable, lost: true)
            return
        }
        var request = HTTPClientRequest(url: endpoint.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: line.dropLast()))
        do {
            let response = try await client.execute(request, deadline: deadline(), logger: logger)
            guard (200..<300).contains(Int(response.status.code)) else {
                await failed(response, requestIDs: message.requestIDs)
                return
            }
            _ = try? await response.body.collect(upTo: 64 << 10)
        } catch {
            fail(message.requestIDs, because: unavailable(error), code: JSONRPCErrorCode.upstreamUnavailable, lost: true)
            return
        }
        if message.method == "notifications/initialized" { initialized(transportReady: false) }
    }
}

import AsyncHTTPClient
import Foundation
import MCPWatchCore
import NIOCore

/// The 2026-07-28 side of the stdio front: a stdio client's modern requests are POSTed as a modern Streamable HTTP
/// client POSTs them (``ModernRequest``: `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`, the tool's
/// `Mcp-Param-*`, no `Mcp-Session-Id`), a `notifications/cancelled` for one ends its POST instead of being posted
/// (Streamable HTTP 2026-07-28 has no client notifications: closing the answer is the cancellation), and an HTTP
/// error whose body is a JSON-RPC error reaches the client as that error (a `-32022` names the versions the server
/// speaks, which the client needs to negotiate). Requests of the older era keep the session, as before.
extension StdioToHTTPRelay {
    /// The headers of a 2026-07-28 request's POST.
    func headers(for modern: ModernRequest, line: [UInt8]) -> [(String, String)] {
        var out = [("Accept", "application/json, text/event-stream"), ("Content-Type", "application/json")]
        out += modern.headers
        if modern.method == "tools/call" {
            out += toolHeaders.withLock { $0.isEmpty ? [] : $0.headers(forCall: line) }
        }
        return out
    }

    /// For a client's 2026-07-28 request: the stream its cancellation (the client's line) will arrive on, registered
    /// under its id.
    func modernCancellation(for line: [UInt8]) -> AsyncStream<[UInt8]>? {
        guard ModernRequest(line: line) != nil, let id = PostedMessage(inspecting: line).requestIDs.first else { return nil }
        sawModern.store(true, ordering: .relaxed)
        let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .bufferingNewest(1))
        let previous = modernPosts.withLock { $0.updateValue(continuation, forKey: id) }
        previous?.finish()
        return stream
    }

    /// A client's `notifications/cancelled` for a 2026-07-28 request: the request's POST is ended if it is still
    /// under way; never posted while no session of the older era has been initialized (a modern client's
    /// cancellation that crossed its answer is only measured). Returns false for any other line (posted as usual).
    func cancelModernPost(_ line: [UInt8]) -> Bool {
        guard sawModern.load(ordering: .relaxed) else { return false }
        let cancelled: JSONRPCID? = line.withUnsafeBytes { raw in
            let frame = TrafficRecorder.trimmingLineEnd(raw)
            let message = OutgoingMessage(in: frame, range: 0..<frame.count)
            return message.cancelledIDRange.map { OutgoingMessage.id($0, in: frame) }
        }
        guard let cancelled else { return false }
        let continuation = modernPosts.withLock { $0.removeValue(forKey: cancelled) }
        if let continuation {
            // Measured once the POST has ended (post(_:origin:until:)): its request is known to the recorder by then.
            cancelledModern.withLock { _ = $0.insert(cancelled) }
            continuation.yield(line)
            continuation.finish()
            return true
        }
        guard currentSession.protocolVersion == nil else { return false }
        observeCancellation(line)
        return true
    }

    /// Whether these requests' POST ends because the client cancelled it (so no error is written for it).
    func cancelledByClient(_ ids: [JSONRPCID]) -> Bool {
        guard let id = ids.first, ids.count == 1 else { return false }
        return cancelledModern.withLock { $0.contains(id) }
    }

    private func observeCancellation(_ line: [UInt8]) {
        var inspector = MessageInspector()
        line.withUnsafeBytes {
            _ = recorder.observeOutgoing(frame: $0, direction: .clientToServer, at: recorder.store.clock.now(), inspector: &inspector)
        }
    }

    /// Posts a 2026-07-28 request; the client's cancellation (`cancelled` yields its line) ends the POST, and with it
    /// the server's work (closing the answer is the cancellation): no answer is written for it, and the call is
    /// measured as cancelled.
    func post(_ line: [UInt8], origin: CallOrigin, until cancelled: AsyncStream<[UInt8]>) async {
        enum Ending: Sendable {
            case posted
            case cancelled([UInt8])
            case notCancelled
        }
        let cancellation = await withTaskGroup(of: Ending.self) { race -> [UInt8]? in
            race.addTask {
                await self.post(line, origin: origin)
                return .posted
            }
            race.addTask {
                for await cancel in cancelled { return .cancelled(cancel) }
                return .notCancelled
            }
            // The first of the POST's end and the client's cancellation ends the other; the group waits for both, so
            // the POST has observed its request before the cancellation is measured.
            var cancel: [UInt8]?
            while let ending = await race.next() {
                switch ending {
                case .posted: race.cancelAll()
                case .cancelled(let line):
                    cancel = line
                    race.cancelAll()
                case .notCancelled: break
                }
            }
            return cancel
        }
        guard let id = PostedMessage(inspecting: line).requestIDs.first else { return }
        modernPosts.withLock { $0.removeValue(forKey: id) }?.finish()
        if let cancellation { observeCancellation(cancellation) }
        cancelledModern.withLock { _ = $0.remove(id) }
    }

    /// An HTTP error answering a 2026-07-28 request: when its body is a JSON-RPC error, the client gets that error
    /// (with its request's id: a server may answer with none), as a modern client reads it; returns false when the
    /// body is not JSON (then the error says what HTTP status came).
    func answeredWithError(_ response: HTTPClientResponse, requestID: JSONRPCID) async -> Bool {
        let contentType = response.headers.first(name: "content-type")?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") else { return false }
        let status = Int(response.status.code)
        let body = try? await response.body.collect(upTo: 64 << 10)
        if let line = body.flatMap({ $0.withUnsafeReadableBytes { JSONLine.line($0) } }), let fixed = Self.errorLine(line, id: requestID) {
            deliver(fixed, isInitialize: false)
        } else {
            let detail = body.map { String(buffer: $0).trimmingCharacters(in: .whitespacesAndNewlines).prefix(500) } ?? ""
            fail([requestID],
                 because: "MCP server at \(configuration.upstream.absoluteString) answered HTTP \(status) \(response.status.reasonPhrase)"
                    + (detail.isEmpty ? "" : ": \(detail)"),
                 code: JSONRPCErrorCode.upstreamUnavailable, lost: false)
        }
        return true
    }

    /// A JSON-RPC error object (one line) with its id set to `id`; nil when the line is not an error response.
    static func errorLine(_ line: [UInt8], id: JSONRPCID) -> [UInt8]? {
        line.withUnsafeBytes { raw -> [UInt8]? in
            let frame = TrafficRecorder.trimmingLineEnd(raw)
            guard frame.first == UInt8(ascii: "{"), JSONValueLocator.range(of: [Array("error".utf8)], in: frame) != nil,
                  JSONValueLocator.range(of: [Array("method".utf8)], in: frame) == nil else { return nil }
            if let idRange = JSONValueLocator.range(of: [Array("id".utf8)], in: frame) {
                return JSONValueLocator.replacing(idRange, in: frame, with: Array(id.json.utf8), newline: true)
            }
            var out = [UInt8]("{\"id\":\(id.json),".utf8)
            let rest = frame.dropFirst().drop { $0 == 0x20 || $0 == 0x09 }
            if rest.first == UInt8(ascii: "}") { return nil }
            out += rest
            out.append(0x0A)
            return out
        }
    }
}

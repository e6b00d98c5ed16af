import Foundation
import Hummingbird
import MCPWatchCore
import NIOCore
import Synchronization

/// Counts open event streams, so that a client opening streams in a loop cannot hold unbounded memory.
final class EventStreamLimiter: Sendable {
    let limit: Int
    private let open = Atomic<Int>(0)

    init(limit: Int) { self.limit = limit }

    func acquire() -> Bool {
        if open.add(1, ordering: .relaxed).newValue > limit {
            open.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func release() { open.subtract(1, ordering: .relaxed) }

    /// The answer when no stream is left.
    var refusal: Response {
        APIError.response(status: .serviceUnavailable, message: "too many open event streams (\(limit)); close one and retry")
    }

    /// The head of a Server-Sent Events response (never cached, never buffered by a proxy in between).
    static let headers: HTTPFields = {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        headers[.init("X-Accel-Buffering")!] = "no"
        return headers
    }()
}

extension MonitoringServer {
    /// `GET /api/alerts?state=&severity=&target=&limit=`.
    static func alerts(_ sources: MonitoringSources, request: Request) throws -> Response {
        guard let engine = sources.alerts else {
            throw APIError.notFound("alerts are switched off (alerts.enabled: false)")
        }
        let query = request.uri.queryParameters
        var state: Alert.State?
        if let text = query.get("state") {
            guard let value = Alert.State(rawValue: text) else {
                throw APIError.badRequest("parameter 'state' must be inactive, pending, firing or resolved, not '\(text)'")
            }
            state = value
        }
        var severity: AlertSeverity?
        if let text = query.get("severity") {
            guard let value = AlertSeverity(rawValue: text) else {
                throw APIError.badRequest("parameter 'severity' must be warning or critical, not '\(text)'")
            }
            severity = value
        }
        var limit = 100
        if let text = query.get("limit") {
            guard let value = Int(text), (0...100_000).contains(value) else {
                throw APIError.badRequest("parameter 'limit' must be a whole number from 0 to 100000, not '\(text)'")
            }
            limit = value
        }
        let target = query.get("target").map { String($0) }
        return try json(engine.report(state: state, severity: severity, target: target, limit: limit), request: request)
    }

    /// `GET /api/events`: each alert transition as a Server-Sent Event (`event: alert`, `id:` its sequence,
    /// `data:` its JSON), a comment every 15 s to keep proxies from closing the stream, and the missed events
    /// replayed after `Last-Event-ID` on reconnection.
    static func events(_ sources: MonitoringSources, streams: EventStreamLimiter, request: Request) throws -> Response {
        guard let engine = sources.alerts else {
            throw APIError.notFound("alerts are switched off (alerts.enabled: false)")
        }
        guard streams.acquire() else { return streams.refusal }
        var lastSeen: UInt64?
        if let header = request.headers[.init("Last-Event-ID")!] {
            guard let value = UInt64(header) else {
                streams.release()
                throw APIError.badRequest("header 'Last-Event-ID' must be an event id (a whole number), not '\(header)'")
            }
            lastSeen = value
        }
        enum Item: Sendable { case event(AlertEvent), heartbeat }
        let (stream, continuation) = AsyncStream<Item>.makeStream(bufferingPolicy: .bufferingNewest(256))
        let token = engine.addListener { continuation.yield(.event($0)) }
        // Missed events, oldest first, then the live ones (a live one already replayed is skipped by its id).
        let resumeAfter = lastSeen ?? 0
        let missed = lastSeen.map { seen in engine.report(limit: 100_000).history.filter { $0.sequence > seen }.reversed() } ?? []
        let heartbeat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(15))
                continuation.yield(.heartbeat)
            }
        }
        return Response(status: .ok, headers: EventStreamLimiter.headers, body: ResponseBody { writer in
            defer {
                heartbeat.cancel()
                engine.removeListener(token)
                continuation.finish()
                streams.release()
            }
            var last = resumeAfter
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
            for event in missed {
                try await writer.write(ByteBuffer(string: try Self.sse(event)))
                last = event.sequence
            }
            for await item in stream {
                switch item {
                case .event(let event):
                    guard event.sequence > last else { continue }
                    last = event.sequence
                    try await writer.write(ByteBuffer(string: try Self.sse(event)))
                case .heartbeat:
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                }
            }
            try await writer.finish(nil)
        })
    }

    static func sse(_ event: AlertEvent) throws -> String {
        let data = String(decoding: try Report.encoder().encode(event), as: UTF8.self)
        return "event: alert\nid: \(event.sequence)\ndata: \(data)\n\n"
    }
}

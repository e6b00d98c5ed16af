import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import Synchronization

/// Sends a request on to another mcpwatch's monitoring socket and streams its answer back as it arrives (a live
/// stream stays live), over one HTTP client for the whole front door.
public final class FleetForwarder: Sendable {
    private let eventLoopGroup: any EventLoopGroup
    /// Made at the first request, so that a forwarder never used has nothing to shut down (a client dropped
    /// without `shutdown()` stops a debug build).
    private let made = Mutex<HTTPClient?>(nil)

    /// A forwarder on `eventLoopGroup` (the monitoring side's own group); call ``shutdown()`` when done with it.
    public init(eventLoopGroup: any EventLoopGroup) {
        self.eventLoopGroup = eventLoopGroup
    }

    var client: HTTPClient {
        made.withLock { made in
            if let made { return made }
            var configuration = HTTPClient.Configuration()
            // Only the time to a response head is bounded (per request); a live stream's body has no read timeout.
            configuration.timeout = .init(connect: .seconds(2), read: nil)
            configuration.decompression = .disabled
            let client = HTTPClient(eventLoopGroupProvider: .shared(eventLoopGroup), configuration: configuration)
            made = client
            return client
        }
    }

    /// Stops the client (once everything it forwards has ended).
    public func shutdown() async {
        guard let client = made.withLock({ made in defer { made = nil }; return made }) else { return }
        try? await client.shutdown()
    }

    /// Request headers that mean something to the other side; the rest (Host, Origin, keys) were checked here.
    static let forwardedRequestHeaders: Set<String> = ["accept", "accept-encoding", "content-type", "last-event-id", "cache-control", "x-mcpwatch-request"]
    /// Response headers this server writes itself.
    static let droppedResponseHeaders: Set<String> = ["connection", "transfer-encoding", "keep-alive", "content-length", "date", "server"]

    /// `request`, sent to the mcpwatch serving `socket` with `uri` (its path and query) instead of its own.
    /// - Parameter maxBody: the most body bytes taken from the request.
    /// - Returns: the answer, streamed; 502 when that mcpwatch does not answer.
    func forward(_ request: Request, socket: String, uri: String, maxBody: Int) async throws -> Response {
        guard let url = URL(httpURLWithSocketPath: socket, uri: uri) else {
            return APIError.response(status: .badGateway, message: "cannot address the socket \(socket)")
        }
        var outgoing = HTTPClientRequest(url: url.absoluteString)
        outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
        for field in request.headers where Self.forwardedRequestHeaders.contains(field.name.canonicalName) {
            outgoing.headers.add(name: field.name.rawName, value: field.value)
        }
        if request.method != .get && request.method != .head {
            outgoing.body = .bytes(try await request.body.collect(upTo: maxBody))
        }
        let answer: HTTPClientResponse
        do {
            answer = try await client.execute(outgoing, timeout: .seconds(60))
        } catch {
            return APIError.response(status: .badGateway, message: "the server's mcpwatch did not answer on its socket: \(error)")
        }
        var headers = HTTPFields()
        for (name, value) in answer.headers where !Self.droppedResponseHeaders.contains(name.lowercased()) {
            if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        return Response(status: .init(code: Int(answer.status.code)), headers: headers, body: ResponseBody(asyncSequence: answer.body))
    }

    /// The other side did not answer as asked.
    struct Unanswered: Error {}

    /// The whole body of `GET uri` on `socket`, within `timeout`.
    func get(socket: String, uri: String, timeout: Duration) async throws -> Data {
        guard let url = URL(httpURLWithSocketPath: socket, uri: uri) else { throw Unanswered() }
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        let answer = try await client.execute(HTTPClientRequest(url: url.absoluteString), timeout: .nanoseconds(nanoseconds))
        guard answer.status == .ok else { throw Unanswered() }
        return Data(buffer: try await answer.body.collect(upTo: 1 << 20))
    }
}

import AsyncHTTPClient
import Crypto
import Foundation
import MCPWatchCore
import NIOCore
import NIOHTTP1

/// POSTs each alert transition as JSON to a URL, with a timeout per attempt, retries with exponential backoff,
/// and, with a secret, an HMAC-SHA256 signature of the body in `X-MCPWatch-Signature: sha256=HEX`.
public struct WebhookNotifier: AlertNotifier {
    public var name: String { "webhook \(target.url)" }
    let target: WebhookTarget
    let secret: [UInt8]?
    let serverName: @Sendable () -> String?
    let client: HTTPClient
    /// The first retry waits this long; each next one twice as long (at most 30 s).
    let firstBackoff: Duration

    /// Creates the notifier.
    /// - Parameters:
    ///   - secret: the HMAC key (read from `target.secretFile` by the caller), or nil for unsigned posts.
    ///   - serverName: the monitored server's name at the time of sending.
    public init(target: WebhookTarget, secret: [UInt8]?, serverName: @escaping @Sendable () -> String?,
                client: HTTPClient = .shared, firstBackoff: Duration = .milliseconds(500)) {
        self.target = target
        self.secret = secret
        self.serverName = serverName
        self.client = client
        self.firstBackoff = firstBackoff
    }

    /// Reads a secret file: its first line that is not blank or a `#` comment, as for API key files.
    public static func readSecret(_ path: String) throws -> [UInt8] {
        Array(try KeyFile.keys(path, what: "webhook secret")[0].utf8)
    }

    /// `sha256=` and the hex HMAC-SHA256 of `body` under `secret`: what the receiver recomputes to verify.
    public static func signature(of body: Data, secret: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    public func notify(_ event: AlertEvent) async throws {
        let body = try AlertPayload(server: serverName(), event: event).encoded()
        var request = HTTPClientRequest(url: target.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "mcpwatch")
        request.headers.add(name: "X-MCPWatch-Event", value: event.kind.rawValue)
        request.headers.add(name: "X-MCPWatch-Delivery", value: "\(event.sequence)")
        if let secret { request.headers.add(name: "X-MCPWatch-Signature", value: Self.signature(of: body, secret: secret)) }
        request.body = .bytes(ByteBuffer(bytes: body))
        var lastError = "no attempt"
        for attempt in 0...target.retries {
            if attempt > 0 {
                let factor = Double(1 << min(attempt - 1, 16))
                try await Task.sleep(for: min(.seconds(30), firstBackoff * factor))
            }
            do {
                let response = try await client.execute(request, timeout: .nanoseconds(target.timeout.inNanoseconds))
                _ = try? await response.body.collect(upTo: 64 << 10)
                let code = Int(response.status.code)
                if (200..<300).contains(code) { return }
                lastError = "HTTP \(code)"
                // A receiver that refuses the request will refuse it again; only overload and server errors are retried.
                if code != 408 && code != 429 && code < 500 { break }
            } catch {
                lastError = "\(error)"
            }
        }
        throw Failure(description: "POST \(target.url) failed: \(lastError)")
    }
}

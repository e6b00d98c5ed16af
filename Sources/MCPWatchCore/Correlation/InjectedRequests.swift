import Foundation
import Synchronization

/// Requests that mcpwatch itself sends to the server (the dashboard's explorer: `tools/list`, `tools/call`), over the
/// connection the client already opened and initialized, and the routing of their answers back to mcpwatch.
///
/// Their ids are strings made of a per-process random token and a counter (`"mcpwatch-3f…-17"`): a client's ids are
/// its own numbers or strings, and no client can produce the token by chance, so the two never collide. A transport
/// checks every response with ``claim(_:line:)``: an answer to one of these ids (even one that came after its wait
/// timed out) goes to mcpwatch and is never forwarded to the client.
public final class InjectedRequests: Sendable {
    /// Why an injected request got no answer.
    public enum Failure: Error, Sendable, Equatable {
        /// No connection to send it on (the server has not started, or it has exited).
        case notConnected
        /// The server did not answer in time.
        case timedOut
        /// The server went away before answering.
        case serverGone
    }

    /// Sends one line to the server (already measured by the transport); false when the server's input is closed.
    public typealias Sender = @Sendable (_ line: [UInt8], _ origin: CallOrigin) -> Bool

    /// The id prefix, as JSON text without the closing quote: `"mcpwatch-<token>-`.
    public let prefix: String
    private let counter = Atomic<UInt64>(0)
    /// Set once the first request was sent: until then ``claim(_:line:)`` costs one atomic load.
    private let used = Atomic<Bool>(false)
    private let state = Mutex(State())

    struct State {
        var sender: Sender?
        var waiters: [String: CheckedContinuation<[UInt8], any Error>] = [:]
    }

    /// Creates the router, with a fresh random token.
    public init() {
        var generator = SystemRandomNumberGenerator()
        let token = (0..<3).map { _ in String(generator.next() as UInt32, radix: 16) }.joined()
        prefix = "\"mcpwatch-\(token)-"
    }

    /// Connects a transport (the relay, once the server runs).
    public func attach(_ sender: @escaping Sender) { state.withLock { $0.sender = sender } }

    /// Disconnects the transport: every request still waiting fails with ``Failure/serverGone``.
    public func detach() {
        let waiting = state.withLock { state -> [CheckedContinuation<[UInt8], any Error>] in
            state.sender = nil
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiting { waiter.resume(throwing: Failure.serverGone) }
    }

    /// Whether any request was ever sent (until then no response can be mcpwatch's): one atomic load.
    public var isInUse: Bool { used.load(ordering: .acquiring) }

    /// Whether a transport is attached.
    public var isConnected: Bool { state.withLock { $0.sender != nil } }

    /// Sends a request and waits for its response.
    /// - Parameters:
    ///   - method: the JSON-RPC method.
    ///   - params: the params object as JSON text (nil: none).
    ///   - timeout: how long to wait; on timeout the server is sent `notifications/cancelled`.
    /// - Returns: the response line, as the server wrote it.
    public func send(method: String, params: String?, timeout: Duration) async throws -> [UInt8] {
        let number = counter.add(1, ordering: .relaxed).newValue
        let id = prefix + "\(number)\""
        var line = "{\"jsonrpc\":\"2.0\",\"id\":\(id),\"method\":\(JSONStringLiteral.quoted(method))"
        if let params { line += ",\"params\":\(params)" }
        line += "}\n"
        used.store(true, ordering: .releasing)
        let bytes = Array(line.utf8)
        let timer = Task {
            try await Task.sleep(for: timeout)
            self.expire(id: id)
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            let sender = state.withLock { state -> Sender? in
                guard let sender = state.sender else { return nil }
                state.waiters[id] = continuation
                return sender
            }
            guard let sender else { return continuation.resume(throwing: Failure.notConnected) }
            if !sender(bytes, .dashboard), let waiter = state.withLock({ $0.waiters.removeValue(forKey: id) }) {
                waiter.resume(throwing: Failure.serverGone)
            }
        }
    }

    /// Gives up on a request: its waiter fails, and the server is told to stop working on it.
    private func expire(id: String) {
        let (waiter, sender) = state.withLock { ($0.waiters.removeValue(forKey: id), $0.sender) }
        guard let waiter else { return }
        waiter.resume(throwing: Failure.timedOut)
        let cancel = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\(id),\"reason\":\"timed out in mcpwatch\"}}\n"
        _ = sender?(Array(cancel.utf8), .dashboard)
    }

    /// Whether a response belongs to mcpwatch (then the transport must not forward it); hands it to its waiter.
    /// - Parameters:
    ///   - id: the response's id, as ``TrafficRecorder/observe(frame:direction:at:inspector:origin:)`` returned it.
    ///   - line: the response as read.
    @inline(__always)
    public func claim(_ id: RequestID?, line: UnsafeRawBufferPointer) -> Bool {
        guard let id, used.load(ordering: .acquiring), id.json.hasPrefix(prefix) else { return false }
        if let waiter = state.withLock({ $0.waiters.removeValue(forKey: id.json) }) {
            waiter.resume(returning: Array(line))
        }
        return true
    }
}

import HTTPTypes
import MCPWatchCore
import Synchronization

/// One POST's requests waiting for their answers at the bridge, and what the server sends meanwhile that belongs to
/// them (progress, or its own requests), in the order the server wrote it.
final class BridgeExchange: Sendable {
    /// What the POST's answer is made of.
    enum Item: Sendable {
        /// The response to one of the requests (a JSON-RPC object, no line end).
        case response([UInt8])
        /// A notification or request from the server to stream to the client before the responses.
        case message([UInt8])
        /// Requests that will get no answer from the server: answer them with this error, and with `status` when
        /// nothing else is in the answer.
        case failure(ids: [JSONRPCID], code: Int, message: String, status: HTTPResponse.Status)
    }

    /// The requests' ids, as the client sent them.
    let ids: [JSONRPCID]
    /// Whether the client accepts an SSE answer (so that server messages can stream on it).
    let streams: Bool
    /// When the POST arrived.
    let started: ContinuousClock.Instant
    /// What to answer with; ends after the last response.
    let items: AsyncStream<Item>
    private let continuation: AsyncStream<Item>.Continuation
    private let state: Mutex<State>

    private struct State {
        var remaining: Int
        var heard = false
        var lastWrite = ContinuousClock.now
    }

    init(ids: [JSONRPCID], streams: Bool) {
        self.ids = ids
        self.streams = streams
        started = .now
        (items, continuation) = AsyncStream.makeStream(of: Item.self)
        state = Mutex(State(remaining: ids.count))
    }

    /// Hands on the response to one of the requests (the session has matched its id, once).
    func answer(_ line: [UInt8]) {
        continuation.yield(.response(line))
        settle(1)
    }

    /// Streams a server message that belongs to these requests.
    func push(_ line: [UInt8]) {
        state.withLock {
            $0.heard = true
            $0.lastWrite = .now
        }
        continuation.yield(.message(line))
    }

    /// On an SSE answer that has been quiet for `quiet` (a 2026-07-28 `subscriptions/listen` stays open): an empty
    /// message, written as an SSE comment, so that intermediaries keep the stream open and a client that has gone is
    /// noticed (the write fails).
    func keepAlive(after quiet: Duration, now: ContinuousClock.Instant) {
        let due = state.withLock { state -> Bool in
            guard streams, state.heard, state.remaining > 0, now - state.lastWrite >= quiet else { return false }
            state.lastWrite = now
            return true
        }
        if due { continuation.yield(.message([])) }
    }

    /// Answers these requests (taken from the session, so never answered twice) with an error.
    func fail(ids: [JSONRPCID], code: Int, message: String, status: HTTPResponse.Status = .badGateway) {
        guard !ids.isEmpty else { return }
        continuation.yield(.failure(ids: ids, code: code, message: message, status: status))
        settle(ids.count)
    }

    /// Whether nothing has come back yet: the server has not started to answer.
    var isSilent: Bool { state.withLock { !$0.heard } }

    /// Whether some requests still wait for their answer.
    var isOpen: Bool { state.withLock { $0.remaining > 0 } }

    private func settle(_ count: Int) {
        let done = state.withLock { state -> Bool in
            state.heard = true
            state.remaining -= count
            return state.remaining <= 0
        }
        if done { continuation.finish() }
    }
}

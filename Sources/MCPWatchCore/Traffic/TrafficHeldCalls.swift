import Synchronization

/// The HTTP relays' half of holding a call: the request handler that got ``TrafficGate/Disposition/hold`` waits
/// here, and whoever frees a slot (another call's answer, the timer) resolves it with what the gate said: go on to
/// the server, or answer with mcpwatch's bytes. A resolution that comes before the handler waits is kept for it.
public final class TrafficHeldCalls: Sendable {
    /// What a held call's handler does next.
    public enum Outcome: Sendable {
        /// A slot is free: send the call to the server now (measuring it then).
        case go
        /// Answer the client with these bytes (one JSON-RPC response ending in a newline) and do not send it.
        case answer([UInt8])
    }

    private enum Entry {
        case waiting(CheckedContinuation<Outcome, Never>)
        case resolved(Outcome)
    }

    private let entries = Mutex<[TrafficGate.CallKey: Entry]>([:])

    /// Creates an empty registry.
    public init() {}

    /// Waits for a held call's outcome.
    public func wait(_ key: TrafficGate.CallKey) async -> Outcome {
        await withCheckedContinuation { continuation in
            let ready: Outcome? = entries.withLock { entries in
                if case .resolved(let outcome)? = entries.removeValue(forKey: key) { return outcome }
                entries[key] = .waiting(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Resolves the held calls that a gate's actions concern: released requests go on, answers are answered. Other
    /// writes to the server (cancellations) are the caller's to send.
    public func resolve(_ actions: TrafficGate.Actions) {
        for write in actions.toServer {
            guard case .message(let info) = write.inspected, info.kind == .request else { continue }
            resolve(write.key, .go)
        }
        for answer in actions.toClients { resolve(answer.key, .answer(answer.bytes)) }
    }

    private func resolve(_ key: TrafficGate.CallKey, _ outcome: Outcome) {
        let waiter: CheckedContinuation<Outcome, Never>? = entries.withLock { entries in
            if case .waiting(let continuation)? = entries.removeValue(forKey: key) { return continuation }
            entries[key] = .resolved(outcome)
            return nil
        }
        waiter?.resume(returning: outcome)
    }
}

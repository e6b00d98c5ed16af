import Foundation
import Synchronization

/// Fires a ``TrafficGate``'s deadlines (queue timeouts, server timeouts) on a thread of its own, which sleeps until
/// the earliest deadline and is woken when an earlier one comes; it hands what expired to the relay's `handle`.
///
/// Started only when the policy sets a timeout (``TrafficGate/needsTimer``): a relay without timeouts has no timer.
public final class TrafficTimer: Sendable {
    private let gate: TrafficGate
    private let clock: any WatchClock
    private let handle: @Sendable (TrafficGate.Actions) -> Void
    private let signal = DispatchSemaphore(value: 0)
    private let stopped = Atomic<Bool>(false)

    /// Creates a timer; nothing runs before ``start()``.
    /// - Parameter handle: writes what expired (answers to clients, cancellations and released calls to the server).
    public init(gate: TrafficGate, clock: any WatchClock, handle: @escaping @Sendable (TrafficGate.Actions) -> Void) {
        self.gate = gate
        self.clock = clock
        self.handle = handle
    }

    /// Starts the timer's thread.
    public func start() {
        gate.onEarlierDeadline { [signal] in signal.signal() }
        let thread = Thread { [self] in loop() }
        thread.name = "mcpwatch traffic timer"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Stops the thread (it ends at its next wake-up, which this causes).
    public func stop() {
        stopped.store(true, ordering: .releasing)
        signal.signal()
    }

    private func loop() {
        while !stopped.load(ordering: .acquiring) {
            if let deadline = gate.nextDeadline() {
                let wait = deadline.nanoseconds(since: clock.now())
                if wait > 0 { _ = signal.wait(timeout: .now() + .nanoseconds(Int(min(wait, 3_600_000_000_000)))) }
            } else {
                signal.wait()
            }
            if stopped.load(ordering: .acquiring) { return }
            let actions = gate.expire(now: clock.now())
            if !actions.isEmpty { handle(actions) }
        }
    }
}

import Synchronization

/// A one-way gate: ``wait()`` suspends until ``open()`` has been called (once open, it stays open), so that a
/// caller awaits an event instead of sleeping for it.
package final class Latch: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    package init() {}

    /// Opens the gate and resumes every waiter; later calls do nothing.
    package func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.open else { return [] }
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Whether ``open()`` has been called.
    package var isOpen: Bool { state.withLock { $0.open } }

    /// Returns once the gate is open.
    package func wait() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}

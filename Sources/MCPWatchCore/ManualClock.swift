import Foundation
import Synchronization

/// A clock that moves only when told to: for tests and simulations.
public final class ManualClock: WatchClock {
    private struct State {
        var monotonic: UInt64
        var wall: Date
    }

    private let state: Mutex<State>

    /// Creates a clock at the given monotonic and wall-clock starting points.
    public init(nanoseconds: UInt64 = 1_000_000_000, wall: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        state = Mutex(State(monotonic: nanoseconds, wall: wall))
    }

    public func now() -> MonotonicInstant { state.withLock { MonotonicInstant(nanoseconds: $0.monotonic) } }

    public func wallNow() -> Date { state.withLock { $0.wall } }

    /// Moves both clocks forward.
    public func advance(nanoseconds: UInt64) {
        state.withLock {
            $0.monotonic += nanoseconds
            $0.wall = $0.wall.addingTimeInterval(Double(nanoseconds) / 1e9)
        }
    }

    /// Moves both clocks forward by a duration in seconds.
    public func advance(seconds: Double) { advance(nanoseconds: UInt64(seconds * 1e9)) }
}

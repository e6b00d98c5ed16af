import Foundation

/// A point on a monotonic clock, in nanoseconds since an arbitrary origin.
///
/// Durations are measured on this clock so that wall-clock jumps never produce negative or inflated latencies.
public struct MonotonicInstant: Sendable, Hashable, Comparable {
    /// Nanoseconds since the clock's origin.
    public var nanoseconds: UInt64

    /// Creates an instant from nanoseconds since the clock's origin.
    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// Nanoseconds from `earlier` to `self`, or 0 when `earlier` is later.
    @inlinable
    public func nanoseconds(since earlier: MonotonicInstant) -> UInt64 {
        nanoseconds >= earlier.nanoseconds ? nanoseconds - earlier.nanoseconds : 0
    }

    /// This instant moved forward by `nanoseconds`.
    public func advanced(byNanoseconds delta: UInt64) -> MonotonicInstant {
        MonotonicInstant(nanoseconds: nanoseconds &+ delta)
    }
}

/// The source of time for everything in the core: injected so that tests never sleep.
public protocol WatchClock: Sendable {
    /// The current monotonic instant.
    func now() -> MonotonicInstant
    /// The current wall-clock time, for timestamps shown to people.
    func wallNow() -> Date
}

/// The real clock: `CLOCK_MONOTONIC` for durations, the system clock for timestamps.
public struct SystemWatchClock: WatchClock {
    /// Creates the system clock.
    public init() {}

    @inlinable
    public func now() -> MonotonicInstant {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return MonotonicInstant(nanoseconds: UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec))
    }

    public func wallNow() -> Date { Date() }
}

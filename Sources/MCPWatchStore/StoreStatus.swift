import Foundation
import MCPWatchCore
import Synchronization

/// How the store is doing, for `/api/health` (degraded, with the reason, while it cannot write), `/metrics` and the
/// log: set by the writer, read by anyone.
public final class StoreStatus: Sendable {
    /// A copy of the figures.
    public struct Snapshot: Sendable, Equatable {
        /// The store's file.
        public var path: String
        /// Why the store is not being written now (nil while all is well).
        public var problem: String?
        /// Flushes that wrote.
        public var flushes: UInt64 = 0
        /// Flushes that failed (disk full, read-only, locked past the busy timeout, a file that is not a store).
        public var failedFlushes: UInt64 = 0
        /// Rows given up because they waited too long for a failing store (the newest figures are kept).
        public var droppedRows: UInt64 = 0
        /// Calls the call log did not keep: the buffer was full.
        public var callLogDropped: UInt64 = 0
        /// Successful calls the call log left out (over the per-target, per-second bound); the figures keep them.
        public var callLogSampledOut: UInt64 = 0
        /// Call-log rows written.
        public var callsLogged: UInt64 = 0
        /// The last flush's time on the writer, in seconds.
        public var lastFlushSeconds: Double = 0
        /// When the last flush wrote.
        public var lastFlush: Date?
    }

    private let state: Mutex<Snapshot>

    /// A status for the store at `path`.
    public init(path: String) { state = Mutex(Snapshot(path: path)) }

    /// The figures now.
    public var snapshot: Snapshot { state.withLock { $0 } }

    /// Changes the figures.
    func update(_ change: (inout Snapshot) -> Void) { state.withLock { change(&$0) } }

    /// Sets the problem; returns whether it is new (so the writer logs each problem once).
    func fail(_ problem: String) -> Bool {
        state.withLock { state in
            state.failedFlushes += 1
            let isNew = state.problem != problem
            state.problem = problem
            return isNew
        }
    }

    /// Clears the problem; returns the one that was there.
    func recover() -> String? {
        state.withLock { state in
            defer { state.problem = nil }
            return state.problem
        }
    }
}

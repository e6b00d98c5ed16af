import Foundation
import MCPWatchProxy
import Synchronization

/// Writes whole lines to a pipe from many tasks at once, without making them queue on a lock held across the
/// `write` call: each line is appended to a pending buffer, and whoever finds nobody writing becomes the writer and
/// writes everything pending (its own line and whatever others appended meanwhile) until nothing is left. Under load
/// this turns many small writes into few large ones; alone, a line is written at once by its own sender.
///
/// Lines never interleave (each is appended whole), and their order is the order of appending. When the reader is
/// slower than the writers, the pending bytes are bounded: past `maxPending` a sender waits until the writer has
/// caught up.
final class CombiningWriter: Sendable {
    private struct State {
        var pending: [UInt8] = []
        var writing = false
        var gone = false
    }

    /// The write end (a child's stdin).
    let fd: Int32
    /// Most bytes waiting to be written before senders wait.
    let maxPending: Int
    private let state = Mutex(State())

    init(fd: Int32, maxPending: Int = 16 << 20) {
        self.fd = fd
        self.maxPending = maxPending
    }

    /// Queues a line and, unless another sender is writing already, writes. Returns false once the reader is gone.
    func write(_ line: [UInt8]) -> Bool {
        enum Role { case gone, writer, queued, queuedOverLimit }
        let role = state.withLock { state -> Role in
            guard !state.gone else { return .gone }
            state.pending.append(contentsOf: line)
            if !state.writing {
                state.writing = true
                return .writer
            }
            return state.pending.count > maxPending ? .queuedOverLimit : .queued
        }
        switch role {
        case .gone: return false
        case .queued: return true
        case .queuedOverLimit:
            // Rare (a server that stopped reading): wait for the writer rather than hold unbounded bytes.
            while state.withLock({ !$0.gone && $0.pending.count > maxPending }) { usleep(1_000) }
            return !isClosed
        case .writer:
            return drain()
        }
    }

    /// Whether the reader has gone away.
    var isClosed: Bool { state.withLock { $0.gone } }

    private func drain() -> Bool {
        var batch: [UInt8] = []
        while true {
            let more = state.withLock { state -> Bool in
                if state.pending.isEmpty {
                    state.writing = false
                    return false
                }
                // Swap the buffers, so that both keep their capacity and nothing is copied.
                swap(&batch, &state.pending)
                return true
            }
            guard more else { return true }
            if !FileDescriptorIO.writeAll(fd, batch) {
                state.withLock { state in
                    state.gone = true
                    state.writing = false
                    state.pending = []
                }
                return false
            }
            batch.removeAll(keepingCapacity: true)
        }
    }
}

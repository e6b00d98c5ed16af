import Foundation
import Synchronization

/// Writes requests to the server's input from any thread, never blocking and never interleaving two writes.
///
/// The reader thread sends the next calls the moment responses arrive: a hand-off to another thread would add a
/// wake-up (tens of microseconds on two cores) to every call of a closed loop. It must never block doing so,
/// though: a server blocked writing its responses while our reader is blocked writing requests would deadlock. So
/// the descriptor is non-blocking; what the pipe does not take now waits in a backlog, and the scheduler thread
/// (woken by the doorbell) flushes it when the pipe has room. Later bytes queue behind the backlog, keeping order.
final class RequestWriter: Sendable {
    private struct Backlog {
        var bytes: [UInt8] = []
        var sent = 0
        var broken = false
    }

    /// The server's input, in non-blocking mode.
    let fd: Int32
    private let doorbell: Doorbell
    private let backlog = Mutex(Backlog())

    init(fd: Int32, doorbell: Doorbell) {
        self.fd = fd
        self.doorbell = doorbell
    }

    /// Sends bytes now or after what is already waiting. Returns false once the server's input is closed.
    func send(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return true }
        var ring = false
        let ok = backlog.withLock { state -> Bool in
            if state.broken { return false }
            if state.sent < state.bytes.count {
                state.bytes.append(contentsOf: bytes)
                return true
            }
            guard let written = bytes.withUnsafeBytes({ PipeIO.writeSome(fd, $0) }) else {
                state.broken = true
                return false
            }
            if written < bytes.count {
                state.bytes.removeAll(keepingCapacity: true)
                state.bytes.append(contentsOf: bytes[written...])
                state.sent = 0
                ring = true
            }
            return true
        }
        if ring { doorbell.ring() }
        return ok
    }

    /// Whether bytes wait for room in the pipe.
    var hasBacklog: Bool { backlog.withLock { $0.sent < $0.bytes.count } }

    /// Writes what the pipe takes of the backlog. Returns false once the server's input is closed.
    func flush() -> Bool {
        backlog.withLock { state -> Bool in
            if state.broken { return false }
            guard state.sent < state.bytes.count else { return true }
            let written = state.bytes.withUnsafeBytes { PipeIO.writeSome(fd, UnsafeRawBufferPointer(rebasing: $0[state.sent...])) }
            guard let written else {
                state.broken = true
                return false
            }
            state.sent += written
            if state.sent == state.bytes.count {
                state.bytes.removeAll(keepingCapacity: state.bytes.capacity <= 1 << 20)
                state.sent = 0
            }
            return true
        }
    }
}

import Synchronization

/// One writer end (our stdout, or a child's stdin) shared by several threads: whole frames never interleave.
final class OutputChannel: Sendable {
    let fd: Int32
    private let lock = Mutex(false)  // true once the reader has gone away

    init(fd: Int32) { self.fd = fd }

    /// Writes the bytes as one unit. Returns false once the reader is gone; later writes are dropped.
    @discardableResult
    func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        lock.withLock { gone in
            if gone { return false }
            if !FileDescriptorIO.writeAll(fd, bytes) { gone = true }
            return !gone
        }
    }

    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { write($0) } }

    /// Whether the reader has gone away.
    var isClosed: Bool { lock.withLock { $0 } }
}

import Synchronization

/// One writer end (`package`: the stdio front of the HTTP relay writes our stdout with it too) (our stdout, or a child's stdin) shared by several threads: whole frames never interleave.
package final class OutputChannel: Sendable {
    package let fd: Int32
    private let lock = Mutex(false)  // true once the reader has gone away

    package init(fd: Int32) { self.fd = fd }

    /// Writes the bytes as one unit. Returns false once the reader is gone; later writes are dropped.
    @discardableResult
    package func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        lock.withLock { gone in
            if gone { return false }
            if !FileDescriptorIO.writeAll(fd, bytes) { gone = true }
            return !gone
        }
    }

    @discardableResult
    package func write(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { write($0) } }

    /// Whether the reader has gone away.
    package var isClosed: Bool { lock.withLock { $0 } }
}

import Foundation

/// Blocking reads and writes on raw file descriptors, retrying on interruption.
package enum FileDescriptorIO {
    /// Reads up to `buffer.count` bytes. Returns 0 at end of input, -1 on error.
    package static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR || errno == EAGAIN { continue }
            return -1
        }
    }

    /// Writes all bytes. Returns false when the other end is gone (or another error).
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard var p = bytes.baseAddress else { return true }
        var remaining = bytes.count
        while remaining > 0 {
            let n = Glibc.write(fd, p, remaining)
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return false
            }
            p += n
            remaining -= n
        }
        return true
    }

    package static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { writeAll(fd, $0) }
    }
}

import Foundation

/// Reads, writes and waits on raw file descriptors, retrying on interruption.
///
/// The one file of the load generator that makes system calls by name, and the place of what is Linux's own
/// (`pipe2`, `ppoll`, `MSG_NOSIGNAL`, `SOCK_STREAM`'s type, the timer slack in /proc); `RawHTTPConnection` connects and sends through it.
enum PipeIO {
    /// Reads up to `buffer.count` bytes, blocking. Returns 0 at end of input, -1 on error.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        while true {
            let n = systemRead(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            if errno == EAGAIN {
                // A descriptor someone made non-blocking: wait for input instead of spinning.
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&pfd, 1, -1)
                continue
            }
            return -1
        }
    }

    /// Writes all bytes, waiting if the descriptor is non-blocking and full. Returns false when the reader is gone.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            guard let written = writeSome(fd, UnsafeRawBufferPointer(rebasing: bytes[offset...])) else { return false }
            offset += written
            if offset < bytes.count && written == 0 {
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&pfd, 1, -1)
            }
        }
        return true
    }

    /// Writes as much as the descriptor takes now: the count written (0 when it would block), nil on error.
    static func writeSome(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int? {
        guard let base = bytes.baseAddress else { return 0 }
        var offset = 0
        while offset < bytes.count {
            let n = systemWrite(fd, base + offset, bytes.count - offset)
            if n > 0 {
                offset += n
            } else if n < 0 && errno == EINTR {
                continue
            } else if n < 0 && errno == EAGAIN {
                return offset
            } else {
                return nil
            }
        }
        return offset
    }

    /// Adds `O_NONBLOCK` to a descriptor's flags.
    static func setNonBlocking(_ fd: Int32) -> Bool {
        let flags = fcntl(fd, F_GETFL)
        return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0
    }

    /// A pipe whose ends are closed on exec (and non-blocking when asked): `(read, write)`.
    static func makePipe(nonBlocking: Bool = false) -> (read: Int32, write: Int32)? {
        var fds: [Int32] = [-1, -1]
        let flags = O_CLOEXEC | (nonBlocking ? O_NONBLOCK : 0)
        guard fds.withUnsafeMutableBufferPointer({ benchPipe2($0.baseAddress!, flags) }) == 0 else { return nil }
        return (fds[0], fds[1])
    }

    /// Waits until a descriptor is ready or `timeoutNanoseconds` pass, with nanosecond resolution (`poll` has
    /// only milliseconds, too coarse to pace an open-loop schedule of thousands of calls a second).
    static func wait(_ fds: UnsafeMutableBufferPointer<pollfd>, timeoutNanoseconds: UInt64) {
        var timeout = timespec(tv_sec: Int(timeoutNanoseconds / 1_000_000_000), tv_nsec: Int(timeoutNanoseconds % 1_000_000_000))
        _ = benchPPoll(fds.baseAddress!, UInt(fds.count), &timeout, nil)
    }

    /// Asks the kernel to wake this thread on time: Linux lets a sleeping thread's timer fire up to 50 µs late by
    /// default ("timer slack", to batch wake-ups), which an open loop would add to every call's latency.
    static func setPreciseTimers() {
        let fd = open("/proc/thread-self/timerslack_ns", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = write(fd, "1", 1)
        close(fd)
    }

    /// `SOCK_STREAM` as `socket(2)` and `addrinfo` take it (an enum in Glibc's Swift module).
    static let streamSocketType = Int32(SOCK_STREAM.rawValue)

    /// `connect(2)`: 0 when connected, -1 with `errno` set.
    static func connect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
        systemConnect(fd, address, length)
    }

    /// `send(2)` without `SIGPIPE` when the peer is gone: the count sent, -1 with `errno` set.
    static func sendWithoutSignal(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
        systemSend(fd, bytes, count, Int32(MSG_NOSIGNAL))
    }

    static func errorText() -> String { String(cString: strerror(errno)) }
}

// The C library's calls, at file scope so that they resolve to the functions Foundation re-exports (inside `PipeIO`,
// `read` would mean the method).
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buffer, count) }
private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { write(fd, bytes, count) }
private func systemConnect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 { connect(fd, address, length) }
private func systemSend(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int, _ flags: Int32) -> Int { send(fd, bytes, count, flags) }

/// `pipe2(2)`, which Glibc's Swift module does not export.
@_silgen_name("pipe2")
private func benchPipe2(_ fds: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32

/// `ppoll(2)`, which Glibc's Swift module does not export (it needs `_GNU_SOURCE`).
@_silgen_name("ppoll")
private func benchPPoll(_ fds: UnsafeMutablePointer<pollfd>, _ count: UInt, _ timeout: UnsafePointer<timespec>?, _ mask: UnsafeRawPointer?) -> Int32

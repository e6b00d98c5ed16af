import Foundation

/// Writes a file so that readers see either the old or the new content, never a torn one.
public enum AtomicFile {
    /// Writes `data` to a temporary file beside `path`, flushes it, and renames it over `path`.
    /// - Throws: ``WatchError`` with code `io`, naming the path and the reason (a full disk, a missing folder).
    ///   The old file is left as it was and no temporary file is left behind.
    public static func write(_ data: Data, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = (directory.isEmpty ? "." : directory) + "/.\(name).\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WatchError(.io, "cannot write \(path): \(String(cString: strerror(errno)))") }
        var failure: String?
        data.withUnsafeBytes { raw in
            guard var p = raw.baseAddress else { return }
            var remaining = raw.count
            while remaining > 0 {
                let n = systemWrite(fd, p, remaining)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return
                }
                p += n
                remaining -= n
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        if close(fd) != 0 && failure == nil { failure = String(cString: strerror(errno)) }
        if failure == nil && rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary)
            throw WatchError(.io, "cannot write \(path): \(failure)")
        }
    }
}

/// The C library's `write(2)`, named apart from `AtomicFile.write` (inside the type, `write` means the method). At
/// file scope it resolves through Foundation, which re-exports Glibc on Linux and Darwin on macOS.
private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}

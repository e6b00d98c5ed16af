import Foundation
import Logging
import MCPWatchCore
import Synchronization

/// A swift-log handler that appends lines to a file (`--log-file`), so that nothing but MCP goes to stdout.
public struct FileLogHandler: LogHandler {
    private final class Sink: Sendable {
        let fd: Int32
        let lock = Mutex(())
        init(fd: Int32) { self.fd = fd }
        func write(_ line: String) {
            var line = line
            lock.withLock { _ in line.withUTF8 { _ = FileDescriptorIO.writeAll(fd, UnsafeRawBufferPointer($0)) } }
        }
    }

    private let sink: Sink
    private let label: String
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    /// Opens (creating or appending to) the log file.
    public static func open(path: String) throws -> @Sendable (String) -> any LogHandler {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WatchError(.io, "cannot open log file \(path): \(errnoText())") }
        let sink = Sink(fd: fd)
        return { label in FileLogHandler(sink: sink, label: label) }
    }

    private init(sink: Sink, label: String) {
        self.sink = sink
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let meta = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        sink.write("\(RFC3339.string(from: Date())) \(event.level) \(label): \(event.message)\(meta)\n")
    }
}

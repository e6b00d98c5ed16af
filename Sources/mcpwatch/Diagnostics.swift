import Foundation

/// What mcpwatch itself says on stderr (never stdout, which may carry the MCP stream).
enum Diagnostics {
    /// `mcpwatch: error: MESSAGE`.
    static func error(_ message: String) { write("mcpwatch: error: \(message)\n") }

    /// `mcpwatch: warning: MESSAGE`, for trouble that does not end the run.
    static func warning(_ message: String) { write("mcpwatch: warning: \(message)\n") }

    /// Writes straight to the descriptor: no buffering, safe from any thread and from a signal handler's queue.
    @Sendable static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Foundation.write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                offset += n
            }
        }
    }
}

import Foundation

/// Starts a named thread with a 1 MiB stack for blocking work (pipe reads, `waitpid`), which must not occupy the
/// concurrency pool's few threads. Used by the stdio relay, the child process and the HTTP transports.
package func startRelayThread(name: String, _ body: @escaping @Sendable () -> Void) {
    let thread = Thread(block: body)
    thread.name = name
    thread.stackSize = 1 << 20
    thread.start()
}

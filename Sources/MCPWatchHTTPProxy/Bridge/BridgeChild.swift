import Foundation
import Logging
import MCPWatchCore
import MCPWatchProxy

/// A stdio MCP server process behind the bridge: whole lines written to its stdin, its stdout split into lines on a
/// thread of its own and handed on, and its exit reported once its last output has been read.
final class BridgeChild: Sendable {
    /// What the reader hands on, valid only during the call.
    enum Output {
        /// One message, without its line end.
        case line(UnsafeRawBufferPointer)
        /// A line over the size limit, dropped: its first bytes and its length.
        case oversized(prefix: UnsafeRawBufferPointer, length: Int)
    }

    /// The process (its pid is what the system sampler watches).
    let process: ChildProcess
    private let input: CombiningWriter

    private init(process: ChildProcess) {
        self.process = process
        input = CombiningWriter(fd: process.stdinFD)
    }

    /// Starts `command` and its reader.
    /// - Parameters:
    ///   - receive: called on the reader thread for each line, in order; `inspector` belongs to that thread.
    ///   - exited: called once, after the process has exited and its output has been read (or 500 ms have passed).
    /// - Throws: ``WatchError`` when the command cannot be started.
    static func start(
        command: [String], maxMessageBytes: Int,
        receive: @escaping @Sendable (Output, inout MessageInspector) -> Void,
        exited: @escaping @Sendable (BridgeChild, ChildExit) -> Void
    ) throws -> BridgeChild {
        let process = try ChildProcess.spawn(command)
        let child = BridgeChild(process: process)
        // A larger pipe (1 MiB instead of 64 KiB) so that a burst of requests never blocks a writer while the server
        // catches up. Best effort: the kernel may refuse above its limit.
        _ = fcntl(process.stdinFD, 1031 /* F_SETPIPE_SZ */, 1 << 20)
        let outputDone = DispatchSemaphore(value: 0)
        startRelayThread(name: "mcpwatch bridge reader") {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 16)
            defer { buffer.deallocate() }
            var framer = LineFramer(maxLineBytes: maxMessageBytes)
            var inspector = MessageInspector()
            let handle: (LineFramer.Event) -> Void = { event in
                switch event {
                case .line(let line): receive(.line(TrafficRecorder.trimmingLineEnd(line)), &inspector)
                case .oversized(let prefix, let length): receive(.oversized(prefix: prefix, length: length), &inspector)
                }
            }
            while true {
                let n = FileDescriptorIO.read(process.stdoutFD, into: buffer)
                if n <= 0 {
                    framer.finish(handle)
                    break
                }
                framer.append(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), handle)
            }
            close(process.stdoutFD)
            outputDone.signal()
        }
        startRelayThread(name: "mcpwatch bridge wait") {
            let exit = process.waitForExit()
            _ = outputDone.wait(timeout: .now() + .milliseconds(500))
            exited(child, exit)
        }
        return child
    }

    /// Writes one message line (its newline included) as a unit; false once the server no longer reads.
    @discardableResult
    func send(_ line: [UInt8]) -> Bool { input.write(line) }

    /// Ends the server: closes its input (a well-behaved server exits), then SIGTERM and SIGKILL after `grace` each.
    func stop(grace: Duration, logger: Logger) {
        process.closeStdin()
        process.ensureExit(grace: grace, logger: logger)
    }
}

import Dispatch
import Foundation
import MCPWatchProxy

/// Watches the server process: if it exits while the run goes on, ends the run (its pipes may stay open in a
/// grandchild); after the run, stops it, politely first.
public final class ExitWatcher: Sendable {
    private let exited = DispatchSemaphore(value: 0)
    private let ended = DispatchSemaphore(value: 0)

    /// Starts watching `process`, which serves `runner`'s run.
    public init(process: ChildProcess, runner: BenchRunner) {
        let exited = exited, ended = ended
        let thread = Thread {
            let exit = process.waitForExit()
            exited.signal()
            // Give the reader a moment to see the output end and report the last answers first.
            if ended.wait(timeout: .now() + .milliseconds(500)) == .timedOut {
                runner.abort("the server \(exit) during the run")
            }
        }
        thread.name = "mcpwatch bench wait"
        thread.start()
    }

    /// The run is over; the server's exit from now on is expected.
    public func runEnded() { ended.signal() }

    /// Closes the server's input, then escalates to SIGTERM and SIGKILL; returns how it ended (nil if it did not).
    public func stop(_ process: ChildProcess) -> ChildExit? {
        process.closeStdin()
        for signal in [SIGTERM, SIGKILL] {
            if exited.wait(timeout: .now() + .seconds(2)) == .success { return process.exit }
            process.signal(signal)
        }
        return exited.wait(timeout: .now() + .seconds(2)) == .success ? process.exit : nil
    }
}

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

    /// How the server ended once the run was over, and whether mcpwatch had to signal it.
    public struct Stop: Sendable, Equatable, CustomStringConvertible {
        /// How it ended; nil when it did not, even after SIGKILL.
        public var exit: ChildExit?
        /// The last signal mcpwatch sent because it did not exit when its input closed, or nil.
        public var signal: Int32?

        public init(exit: ChildExit?, signal: Int32?) {
            self.exit = exit
            self.signal = signal
        }

        /// Completes "the server …": `exited with status 2`, or that mcpwatch stopped it, so that a SIGTERM of ours
        /// does not read as a crash.
        public var description: String {
            let name = signal.map { $0 == SIGTERM ? "SIGTERM" : $0 == SIGKILL ? "SIGKILL" : "signal \($0)" }
            switch (exit, name) {
            case (nil, _):
                return "did not exit, even after SIGKILL"
            case (.signaled(let number)?, let name?) where number == signal:
                return "did not exit when its input closed, so mcpwatch stopped it with \(name)"
            case (let exit?, let name?):
                return "\(exit) after mcpwatch sent it \(name) (it did not exit when its input closed)"
            case (let exit?, nil):
                return "\(exit)"
            }
        }
    }

    /// Closes the server's input, then escalates to SIGTERM and SIGKILL (`grace` apart); returns how it ended.
    public func stop(_ process: ChildProcess, grace: Duration = .seconds(2)) -> Stop {
        process.closeStdin()
        var sent: Int32?
        for signal in [SIGTERM, SIGKILL] {
            if exited.wait(timeout: .now() + DispatchTimeInterval.nanoseconds(Int(grace.inNanoseconds))) == .success {
                return Stop(exit: process.exit, signal: sent)
            }
            process.signal(signal)
            sent = signal
        }
        return Stop(exit: exited.wait(timeout: .now() + .seconds(2)) == .success ? process.exit : nil, signal: sent)
    }
}

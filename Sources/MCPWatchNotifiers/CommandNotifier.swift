import Foundation
import MCPWatchCore
import Synchronization

/// Runs a command for each alert transition, with the transition's JSON (``AlertPayload``) on its stdin and
/// `MCPWATCH_ALERT_KIND`, `MCPWATCH_ALERT_SEVERITY`, `MCPWATCH_ALERT_ID` and `MCPWATCH_ALERT_SUMMARY` in its
/// environment. A command that runs longer than the timeout is killed; a non-zero exit counts as a failure.
public struct CommandNotifier: AlertNotifier {
    public var name: String { "command \(arguments.last ?? "")" }
    let arguments: [String]
    let timeout: Duration
    let serverName: @Sendable () -> String?

    /// Creates the notifier.
    public init(arguments: [String], timeout: Duration = .seconds(30), serverName: @escaping @Sendable () -> String?) {
        self.arguments = arguments
        self.timeout = timeout
        self.serverName = serverName
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    private static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    public func notify(_ event: AlertEvent) async throws {
        let body = try AlertPayload(server: serverName(), event: event).encoded()
        let process = Process()
        let program = arguments[0]
        if program.contains("/") {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = Array(arguments.dropFirst())
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
        }
        var environment = ProcessInfo.processInfo.environment
        environment["MCPWATCH_ALERT_KIND"] = event.kind.rawValue
        environment["MCPWATCH_ALERT_SEVERITY"] = event.severity?.rawValue ?? ""
        environment["MCPWATCH_ALERT_ID"] = event.alertId
        environment["MCPWATCH_ALERT_SUMMARY"] = event.summary
        process.environment = environment
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        // A command that does not read its input closes the pipe; writing to it must fail, not kill mcpwatch.
        Self.ignoreSIGPIPE
        let killer = WatchdogKill()
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: Failure(description: "cannot run \(program): \(error)"))
                return
            }
            killer.arm(pid: process.processIdentifier, after: timeout)
            try? input.fileHandleForWriting.write(contentsOf: body)
            try? input.fileHandleForWriting.close()
        }
        killer.disarm()
        if status != 0 { throw Failure(description: "\(program) exited with status \(status)\(killer.fired ? " (killed after \(timeout))" : "")") }
    }
}

/// Kills a process that outlives its time; disarmed as soon as it exits, so a reused pid is never hit.
final class WatchdogKill: Sendable {
    private let state = Mutex<(task: Task<Void, Never>?, done: Bool, fired: Bool)>((nil, false, false))

    var fired: Bool { state.withLock { $0.fired } }

    func arm(pid: Int32, after timeout: Duration) {
        let task = Task { [self] in
            try? await Task.sleep(for: timeout)
            state.withLock { s in
                guard !s.done, !Task.isCancelled else { return }
                s.fired = true
                kill(pid, SIGKILL)
            }
        }
        state.withLock { $0.task = task }
    }

    func disarm() {
        state.withLock { s in
            s.done = true
            s.task?.cancel()
        }
    }
}

import Foundation
import Logging
import MCPWatchCore
import Synchronization

/// How a child process ended.
public enum ChildExit: Sendable, Equatable, CustomStringConvertible {
    /// It exited with this status.
    case exited(Int32)
    /// A signal ended it.
    case signaled(Int32)

    /// Decodes a `waitpid` status.
    init(waitStatus status: Int32) {
        let low = status & 0x7F
        self = low == 0 ? .exited((status >> 8) & 0xFF) : .signaled(low)
    }

    /// The status a shell would report: the exit code, or 128 + the signal number.
    public var shellStatus: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .signaled(let signal): "killed by signal \(signal)\(Self.signalName(signal).map { " (\($0))" } ?? "")"
        }
    }

    static func signalName(_ signal: Int32) -> String? {
        switch signal {
        case SIGHUP: "SIGHUP"
        case SIGINT: "SIGINT"
        case SIGKILL: "SIGKILL"
        case SIGTERM: "SIGTERM"
        case SIGSEGV: "SIGSEGV"
        case SIGABRT: "SIGABRT"
        case SIGPIPE: "SIGPIPE"
        default: nil
        }
    }
}

/// A server process launched with pipes for its stdin and stdout; its stderr is ours.
///
/// It runs in a process group of its own, so that signals reach the whole tree (`uvx` and `npx` start the real
/// server as a grandchild) and a terminal's Ctrl-C reaches only mcpwatch, which forwards it.
public final class ChildProcess: Sendable {
    /// The process id (also its process group id).
    public let pid: pid_t
    /// Our end of the child's stdin.
    public let stdinFD: Int32
    /// Our end of the child's stdout.
    public let stdoutFD: Int32
    private let exitState = Mutex<ChildExit?>(nil)
    private let stdinClosed = Mutex(false)
    private let exitEnsured = Mutex(false)

    private init(pid: pid_t, stdinFD: Int32, stdoutFD: Int32) {
        self.pid = pid
        self.stdinFD = stdinFD
        self.stdoutFD = stdoutFD
    }

    /// Starts `command` (searched in `PATH`) with `arguments`.
    /// - Throws: ``WatchError`` with code `commandNotStarted` when it cannot be started.
    public static func spawn(_ command: [String], environment: [String: String]? = nil) throws -> ChildProcess {
        guard let executable = command.first, !executable.isEmpty else {
            throw WatchError(.commandNotStarted, "no server command given: put it after `--`, e.g. `mcpwatch proxy -- uvx mcp-server-time`")
        }
        var toChild: [Int32] = [-1, -1]
        var fromChild: [Int32] = [-1, -1]
        guard makePipe(&toChild) else { throw WatchError(.io, "cannot create a pipe: \(errnoText())") }
        guard makePipe(&fromChild) else {
            close(toChild[0]); close(toChild[1])
            throw WatchError(.io, "cannot create a pipe: \(errnoText())")
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT] { sigaddset(&defaults, signal) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var envp: [UnsafeMutablePointer<CChar>?] = []
        if let environment {
            envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        }
        defer { for p in envp { free(p) } }

        var pid: pid_t = 0
        let result: Int32 = envp.isEmpty
            ? posix_spawnp(&pid, executable, &actions, &attributes, argv, environ)
            : posix_spawnp(&pid, executable, &actions, &attributes, argv, envp)
        close(toChild[0])
        close(fromChild[1])
        guard result == 0 else {
            close(toChild[1])
            close(fromChild[0])
            let reason = String(cString: strerror(result))
            let hint = result == ENOENT ? " (is it installed and on PATH?)" : result == EACCES ? " (is it executable?)" : ""
            throw WatchError(.commandNotStarted, "cannot start server command `\(command.joined(separator: " "))`: \(reason)\(hint)")
        }
        return ChildProcess(pid: pid, stdinFD: toChild[1], stdoutFD: fromChild[0])
    }

    /// Blocks until the child exits and returns how; call from a dedicated thread.
    public func waitForExit() -> ChildExit {
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, 0)
            if r == pid { break }
            if r == -1 && errno != EINTR {
                // Reaped elsewhere or never ours: report it as gone.
                let exit = ChildExit.exited(255)
                exitState.withLock { $0 = exit }
                return exit
            }
        }
        let exit = ChildExit(waitStatus: status)
        exitState.withLock { $0 = exit }
        return exit
    }

    /// How the child ended, or nil while it runs.
    public var exit: ChildExit? { exitState.withLock { $0 } }

    /// Sends a signal to the child's whole process group.
    public func signal(_ signal: Int32) {
        guard exit == nil else { return }
        if kill(-pid, signal) != 0 { kill(pid, signal) }
    }

    /// Makes sure the child ends (once; later calls do nothing): SIGTERM if it has not exited after `grace`, SIGKILL
    /// after another `grace`. Watches from a thread of its own and returns at once.
    public func ensureExit(grace: Duration, logger: Logger) {
        let first = exitEnsured.withLock { started -> Bool in
            defer { started = true }
            return !started
        }
        guard first else { return }
        startRelayThread(name: "mcpwatch shutdown") { [self] in
            for signal in [SIGTERM, SIGKILL] {
                if waitForExit(upTo: grace) { return }
                logger.warning("server did not exit in time; sending \(signal == SIGTERM ? "SIGTERM" : "SIGKILL")", metadata: ["pid": "\(pid)"])
                self.signal(signal)
            }
        }
    }

    private func waitForExit(upTo duration: Duration) -> Bool {
        let deadline = ContinuousClock.now + duration
        while ContinuousClock.now < deadline {
            if exit != nil { return true }
            usleep(10_000)
        }
        return exit != nil
    }

    /// Closes the child's stdin (once): a well-behaved MCP server exits on end of input.
    public func closeStdin() {
        let first = stdinClosed.withLock { closed -> Bool in
            defer { closed = true }
            return !closed
        }
        if first { close(stdinFD) }
    }
}

/// `pipe2(2)`, which Glibc's Swift module does not export.
@_silgen_name("pipe2")
private func systemPipe2(_ fds: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32

/// A pipe whose ends are closed on exec, atomically, so that no other child spawned concurrently inherits them.
private func makePipe(_ fds: inout [Int32]) -> Bool {
    fds.withUnsafeMutableBufferPointer { systemPipe2($0.baseAddress!, O_CLOEXEC) } == 0
}

func errnoText() -> String { String(cString: strerror(errno)) }

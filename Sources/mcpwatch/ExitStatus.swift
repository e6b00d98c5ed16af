import ArgumentParser
import MCPWatchCore

/// The exit statuses every command follows (README, "Exit statuses"): the same kind of mistake gets the same status
/// in every command. Usage and configuration errors follow sysexits.h, as ArgumentParser's own usage errors (64) do.
///
/// Two commands add statuses of their own, each documented with the command: `proxy` in front of a stdio server
/// exits with the server's status (128 + N when signal N ended it), and `health` exits 0, 1 or 2 for its verdict.
enum ExitStatus {
    /// Done.
    static let success: Int32 = 0
    /// The run failed: the server or upstream went away, a port was taken, a file could not be written, no call
    /// succeeded (bench).
    static let failure: Int32 = 1
    /// `bench --baseline`: a regression.
    static let regression: Int32 = 3
    /// `EX_USAGE`: invalid options or arguments, or options that do not belong together.
    static let usage: Int32 = 64
    /// `EX_CONFIG`: the configuration (file, `MCPWATCH_...` environment, key files) is not valid.
    static let configuration: Int32 = 78
    /// The server command could not be started (as a shell says of a command it cannot run).
    static let commandNotStarted: Int32 = 127
    /// Interrupted by Ctrl-C (SIGINT) before the run was done (128 + 2, as a shell reports it).
    static let interrupted: Int32 = 130

    /// The status for an error of this kind.
    static func of(_ code: WatchError.Code) -> Int32 {
        switch code {
        case .invalidArgument, .invalidMixFile, .invalidBaseline: usage
        case .invalidConfiguration: configuration
        case .commandNotStarted: commandNotStarted
        case .interrupted: interrupted
        default: failure
        }
    }
}

/// An error that a user can act on: a stable code for programs and a message for people.
///
/// The one error type of mcpwatch's own modules (the relays, the configuration, the load generator). A struct with a
/// nested code rather than a public enum, so that adding a code never breaks callers (as swift-service-lifecycle's
/// `ServiceGroupError`). The command line turns each code into one exit status (README, "Exit statuses").
public struct WatchError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidConfiguration, commandNotStarted, io, invalidArgument, unavailable
            case invalidMixFile, invalidBaseline, initializeFailed, runFailed, interrupted
        }

        private let base: Base

        /// The configuration (file, environment or flags) is not valid.
        public static let invalidConfiguration = Code(base: .invalidConfiguration)
        /// The server command could not be started.
        public static let commandNotStarted = Code(base: .commandNotStarted)
        /// A file or pipe operation failed.
        public static let io = Code(base: .io)
        /// An argument is out of range or malformed.
        public static let invalidArgument = Code(base: .invalidArgument)
        /// Something the operation needs is not available (a port, a process).
        public static let unavailable = Code(base: .unavailable)
        /// The load generator's `--mix` file is not a valid mix.
        public static let invalidMixFile = Code(base: .invalidMixFile)
        /// The load generator's `--baseline` file is not an earlier `--json` result.
        public static let invalidBaseline = Code(base: .invalidBaseline)
        /// The server did not complete the MCP `initialize` handshake.
        public static let initializeFailed = Code(base: .initializeFailed)
        /// A run ended without doing what it was for: it ended early, or no call of a load test succeeded.
        public static let runFailed = Code(base: .runFailed)
        /// The user interrupted the run (Ctrl-C) before it was done.
        public static let interrupted = Code(base: .interrupted)

        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What happened and, where possible, what to do about it.
    public let message: String

    /// Creates an error with a code and a message for people.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// An error that a user can act on: a stable code for programs and a message for people.
///
/// A struct with a nested code rather than a public enum, so that adding a code never breaks callers.
public struct WatchError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidConfiguration, commandNotStarted, io, invalidArgument, unavailable
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

/// An error of the load generator or the bench server that a user can act on: a stable code and a message.
///
/// A struct with a nested code rather than a public enum, so that adding a code never breaks callers.
public struct BenchError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidArgument, invalidMixFile, invalidBaseline, initializeFailed, io
        }

        private let base: Base

        /// An option's value is malformed or out of range.
        public static let invalidArgument = Code(base: .invalidArgument)
        /// The `--mix` file is not a valid mix.
        public static let invalidMixFile = Code(base: .invalidMixFile)
        /// The `--baseline` file is not an earlier `--json` result.
        public static let invalidBaseline = Code(base: .invalidBaseline)
        /// The server did not complete the MCP `initialize` handshake.
        public static let initializeFailed = Code(base: .initializeFailed)
        /// A file or pipe operation failed.
        public static let io = Code(base: .io)

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

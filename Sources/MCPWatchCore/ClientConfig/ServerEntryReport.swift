/// What `wrap` or `unwrap` did, or would do, with one server of a client's configuration.
public struct ServerEntryReport: Sendable, Equatable {
    /// What happened to the entry.
    public enum Outcome: Sendable, Equatable {
        /// Now started through mcpwatch, with this command line.
        case wrapped(argv: [String])
        /// Already started through mcpwatch (a `wrap` before, or by hand): left alone.
        case alreadyWrapped(argv: [String])
        /// Given by URL: left alone (without `--remote`); `monitor` is the command that would monitor it.
        case remote(url: String, monitor: [String])
        /// Back to what it was before `wrap`, with this command line (nil: a URL again).
        case unwrapped(argv: [String]?, url: String?)
        /// Not started through mcpwatch: nothing for `unwrap` to do.
        case notWrapped
        /// Started through mcpwatch, but not the way `wrap` writes it (by hand, say): `unwrap` leaves it alone.
        case wrappedByHand(argv: [String])
        /// Left alone, for this reason.
        case skipped(reason: String)
    }

    /// The keys from the top of the file to the server table (`mcpServers`, `projects./path.mcpServers`).
    public let table: [String]
    /// The server's key.
    public let key: String
    /// What happened.
    public let outcome: Outcome

    /// Creates a report.
    public init(table: [String], key: String, outcome: Outcome) {
        self.table = table
        self.key = key
        self.outcome = outcome
    }

    /// Whether the file changes for this entry.
    public var changes: Bool {
        switch outcome {
        case .wrapped, .unwrapped: true
        default: false
        }
    }
}

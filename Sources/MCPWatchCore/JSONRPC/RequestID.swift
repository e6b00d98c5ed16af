/// A JSON-RPC request id, kept as its exact JSON text (`7`, `"abc"`), so that a reply can echo it byte for byte.
///
/// Two ids are the same when their JSON text is the same: `1` and `"1"` differ, as JSON-RPC requires.
/// Short ids fit in a `String`'s inline storage, so keeping them costs no allocation.
public struct RequestID: Hashable, Sendable, CustomStringConvertible {
    /// The id's JSON text as it appeared on the wire.
    public let json: String

    /// Creates an id from its JSON text.
    public init(json: String) { self.json = json }

    /// An id for a number.
    public init(_ number: Int) { self.json = String(number) }

    public var description: String { json }
}

/// A value of a JSON (or JSONC) text with the byte range it was read from, so that an edit can replace exactly that
/// value and leave every other byte of the text as it was.
///
/// ``JSONCParser`` builds it; `wrap` and `unwrap` read a client's configuration through it and splice the text.
public struct JSONCNode: Sendable, Equatable {
    /// One `"key": value` of an object.
    public struct Member: Sendable, Equatable {
        /// The key, unescaped.
        public let key: String
        /// The key's literal, quotes included.
        public let keyRange: Range<Int>
        /// The member's value.
        public let value: JSONCNode
    }

    /// What the value is.
    public indirect enum Value: Sendable, Equatable {
        case object([Member])
        case array([JSONCNode])
        case string(String)
        case number
        case bool(Bool)
        case null
    }

    /// The value's bytes in the text (a string's quotes included).
    public let range: Range<Int>
    /// The value.
    public let value: Value

    /// The members of an object, nil for any other value.
    public var members: [Member]? {
        if case .object(let members) = value { return members }
        return nil
    }

    /// The elements of an array, nil for any other value.
    public var elements: [JSONCNode]? {
        if case .array(let elements) = value { return elements }
        return nil
    }

    /// The text of a string, nil for any other value.
    public var string: String? {
        if case .string(let text) = value { return text }
        return nil
    }

    /// The member named `key` of an object (the last one when the key repeats, as JavaScript's `JSON.parse` reads it).
    public func member(_ key: String) -> Member? {
        members?.last { $0.key == key }
    }

    /// The value of the member named `key`.
    public subscript(key: String) -> JSONCNode? {
        member(key)?.value
    }
}

/// A parsed configuration document, independent of the file format: values with the line they came from.
public indirect enum ConfigNode: Sendable, Equatable {
    /// A single value, as text.
    case scalar(String, line: Int)
    /// Keys and values, in file order.
    case mapping([ConfigEntry], line: Int)
    /// A list.
    case sequence([ConfigNode], line: Int)
    /// An explicit null (`key:` with nothing, `~`, `null`).
    case null(line: Int)

    /// The line the node starts on (0 when it did not come from a file).
    public var line: Int {
        switch self {
        case .scalar(_, let line), .mapping(_, let line), .sequence(_, let line), .null(let line): line
        }
    }

    /// What kind of value this is, for error messages.
    public var kindName: String {
        switch self {
        case .scalar: "a value"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .null: "nothing"
        }
    }
}

/// One key of a mapping.
public struct ConfigEntry: Sendable, Equatable {
    /// The key.
    public var key: String
    /// The key's line.
    public var line: Int
    /// The value.
    public var value: ConfigNode

    /// Creates an entry.
    public init(key: String, line: Int, value: ConfigNode) {
        self.key = key
        self.line = line
        self.value = value
    }
}

/// Something wrong in the configuration, pointing at where.
public struct ConfigProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where: `mcpwatch.yaml:12`, `MCPWATCH_HTTP_LISTEN`, `--listen`.
    public var source: String
    /// The dotted key, e.g. `http.listen`.
    public var key: String
    /// What is wrong.
    public var message: String

    /// Creates a problem.
    public init(source: String, key: String, message: String) {
        self.source = source
        self.key = key
        self.message = message
    }

    public var description: String { "\(source): \(key): \(message)" }
}

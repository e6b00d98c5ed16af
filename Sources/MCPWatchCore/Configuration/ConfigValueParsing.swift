import Foundation

/// Parses the value types a configuration uses, with messages that say what was expected.
public enum ConfigValueParsing {
    /// `5s`, `500ms`, `2m`, `1h`, `1.5s`, or a plain number of seconds: ``Duration/parse(_:)``, nil when invalid.
    public static func duration(_ text: String) -> Duration? { try? Duration.parse(text) }

    /// `1048576`, `64KiB`, `64MiB`, `1GiB`: ``ByteSize/init(parsing:)`` in bytes, nil when invalid.
    public static func byteSize(_ text: String) -> Int? { (try? ByteSize(parsing: text))?.bytes }

    /// `true/false`, `yes/no`, `on/off`, `1/0`.
    public static func bool(_ text: String) -> Bool? {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "yes", "on", "1": true
        case "false", "no", "off", "0": false
        default: nil
        }
    }

    /// Seconds as people write them back: `5s`, `500ms`, `1h` (``Duration/unitsDescription``).
    public static func format(_ duration: Duration) -> String { duration.unitsDescription }
}

import Foundation

/// Files that hold secrets one per line (API keys, a webhook's HMAC secret): blank lines and `#` comments skipped.
public enum KeyFile {
    /// The file's keys, in order.
    /// - Parameter what: what the file holds, for messages (`API key`, `webhook secret`).
    /// - Throws: ``WatchError`` with code `invalidConfiguration` when the file cannot be read or holds no key.
    public static func keys(_ path: String, what: String = "API key") throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw WatchError(.invalidConfiguration, "cannot read the \(what) file \(path)")
        }
        let keys = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        if keys.isEmpty { throw WatchError(.invalidConfiguration, "the \(what) file \(path) holds no key") }
        return keys
    }
}

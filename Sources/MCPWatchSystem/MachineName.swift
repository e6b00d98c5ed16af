#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MCPWatchCore

/// This machine's own names, which a port bound to every interface answers (`HostPolicy`).
public enum MachineName {
    /// The names a port bound to `host` answers besides loopback ones: none on loopback (no look-up at all), else
    /// ``current()``.
    public static func answered(whenBoundTo host: String) -> [String] {
        HostPolicy.isLoopback(host.lowercased()) ? [] : current()
    }

    /// The host name (`gethostname`), and its first label when it has a domain; no DNS look-up.
    public static func current() -> [String] {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return [] }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).lowercased()
        guard !name.isEmpty else { return [] }
        if let dot = name.firstIndex(of: "."), dot != name.startIndex { return [name, String(name[..<dot])] }
        return [name]
    }
}

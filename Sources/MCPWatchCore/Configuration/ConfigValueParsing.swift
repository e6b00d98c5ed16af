import Foundation

/// Parses the value types a configuration uses, with messages that say what was expected.
public enum ConfigValueParsing {
    /// `5s`, `500ms`, `2m`, `1h`, `1.5s`, or a plain number of seconds.
    public static func duration(_ text: String) -> Duration? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("ms", 0.001), ("us", 0.000_001), ("s", 1), ("m", 60), ("h", 3_600)]
        for (suffix, scale) in units where t.hasSuffix(suffix) {
            let number = t.dropLast(suffix.count)
            // `ms` must not be read as minutes followed by garbage, hence the order above.
            guard let value = Double(number), value >= 0, value.isFinite else { return nil }
            return .nanoseconds(Int64((value * scale * 1e9).rounded()))
        }
        guard let seconds = Double(t), seconds >= 0, seconds.isFinite else { return nil }
        return .nanoseconds(Int64(seconds * 1e9))
    }

    /// `1048576`, `64KiB`, `64MiB`, `1GiB` (also `K`, `M`, `G`, `KB`, `MB`, `GB`, as powers of 1024).
    public static func byteSize(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let digits = t.prefix { $0.isNumber }
        guard let value = Int(digits), value > 0 else { return nil }
        let multiplier: Int
        switch t.dropFirst(digits.count).lowercased().trimmingCharacters(in: .whitespaces) {
        case "", "b": multiplier = 1
        case "k", "kb", "kib": multiplier = 1 << 10
        case "m", "mb", "mib": multiplier = 1 << 20
        case "g", "gb", "gib": multiplier = 1 << 30
        default: return nil
        }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : bytes
    }

    /// `true/false`, `yes/no`, `on/off`, `1/0`.
    public static func bool(_ text: String) -> Bool? {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "yes", "on", "1": true
        case "false", "no", "off", "0": false
        default: nil
        }
    }

    /// Seconds as people write them back: `5s`, `500ms`, `1h`.
    public static func format(_ duration: Duration) -> String {
        let seconds = duration.inSeconds
        if seconds >= 3_600 && seconds.truncatingRemainder(dividingBy: 3_600) == 0 { return "\(Int(seconds / 3_600))h" }
        if seconds >= 60 && seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60))m" }
        if seconds >= 1 || seconds == 0 { return seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(seconds)s" }
        let ms = seconds * 1_000
        if ms == ms.rounded() { return "\(Int(ms))ms" }
        let nanos = duration.inNanoseconds
        return nanos % 1_000 == 0 ? "\(nanos / 1_000)us" : "\(ms)ms"
    }
}

/// Where a run stands, once a second, for a progress line.
public struct BenchProgress: Sendable, Equatable {
    /// Time since the handshake.
    public var elapsedSeconds: Double
    /// `warmup`, `measuring` or `draining` (waiting for the last answers).
    public var phase: String
    /// Measured calls answered so far.
    public var answered: Int
    /// Measured calls that failed so far, of every kind.
    public var errors: Int
    /// Calls sent and not yet answered.
    public var inFlight: Int
    /// Calls answered per second over the last interval (warmup included).
    public var recentCallsPerSecond: Double

    /// The line a terminal shows.
    public var line: String {
        let rate = recentCallsPerSecond >= 100 ? String(Int(recentCallsPerSecond.rounded())) : String(format1(recentCallsPerSecond))
        return "\(String(format1(elapsedSeconds)))s  \(phase)  \(answered) calls  \(rate)/s  errors \(errors)  in flight \(inFlight)"
    }
}

/// One decimal, without Foundation's locale-dependent formatting.
func format1(_ value: Double) -> Substring {
    let tenths = (value * 10).rounded()
    guard tenths.isFinite, abs(tenths) < 1e17 else { return Substring(String(value)) }
    let whole = Int(tenths) / 10, fraction = abs(Int(tenths) % 10)
    return Substring("\(tenths < 0 && whole == 0 ? "-" : "")\(whole).\(fraction)")
}

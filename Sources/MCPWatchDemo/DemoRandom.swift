import Foundation
import Synchronization

/// The demo's randomness: seedable (for repeatable runs), shared safely between concurrent tool calls.
final class DemoRandom: Sendable {
    private let state: Mutex<UInt64>

    init(seed: UInt64?) { state = Mutex(seed ?? UInt64.random(in: 1...UInt64.max)) }

    /// SplitMix64: tiny, fast, good enough for a demo.
    func next() -> UInt64 {
        state.withLock { s in
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Uniform in [0, 1).
    func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// Log-normal: most values near `median`, a long tail up to `cap`.
    func logNormal(median: Double, sigma: Double, cap: Double) -> Double {
        // Box-Muller for a standard normal.
        let u1 = max(unit(), 1e-12), u2 = unit()
        let normal = (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        return min(cap, median * exp(sigma * normal))
    }
}

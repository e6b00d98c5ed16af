import MCPWatchCompression
import MCPWatchCore
import Synchronization

/// Gzip for `/metrics` that compresses only what changed since the last scrape.
///
/// A scrape of 1,000 targets is about 6 MB of text, and one deflate pass over it at zlib's fastest level took 17 ms,
/// most of issue 3's 20 ms. Between two scrapes most targets are unchanged, so each segment of the exposition (a
/// family's header, one target's histograms, a block of targets' counters) keeps its compressed bytes, and a
/// scrape deflates only the segments whose text changed and those right after them (see ``SegmentedGzip``). The
/// body is one ordinary gzip member that decompresses to exactly the uncompressed response.
///
/// One encoder per format (the text format and OpenMetrics differ in family names and `# EOF`). Each holds about
/// one scrape's text plus its compressed size, and drops segments the last scrape did not have.
final class MetricsGzip: Sendable {
    private let encoders = Mutex<[Bool: SegmentedGzip<PrometheusExposition.SegmentKey>]>([:])

    /// The gzip member of a finished exposition.
    /// - Parameters:
    ///   - text: `finishBytes()` of `exposition`.
    ///   - openMetrics: which format it is: each has its own cache.
    func compress(_ text: [UInt8], segments: [PrometheusExposition.Segment], openMetrics: Bool) -> [UInt8] {
        let segments = segments.map { (key: $0.key, start: $0.start) }
        // Under the lock for the whole compression: scrapes are seconds apart, and a second one at the same time
        // waits a few milliseconds instead of compressing everything again without the cache.
        return encoders.withLock { encoders in
            let encoder = encoders[openMetrics] ?? SegmentedGzip()
            encoders[openMetrics] = encoder
            return encoder.compress(text, segments: segments)
        }
    }
}

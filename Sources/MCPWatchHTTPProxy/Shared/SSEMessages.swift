import AsyncHTTPClient
import MCPWatchCore

/// The messages of an SSE body from the upstream, one stdio line each (``JSONLine``), as they arrive: what the stdio
/// front's answers, its standalone and HTTP+SSE streams, and the explorer's answers all read the same way.
enum SSEMessages {
    /// Reads `body` to its end.
    /// - Parameters:
    ///   - maxEventBytes: longer events are dropped (and counted as an oversized message in `anomalies`, when given).
    ///   - accept: sees each event first (its id, its type); false: it carries no message to deliver.
    ///   - deliver: each message line, after the chunk that completed it was parsed.
    /// - Throws: when the body breaks off.
    static func read(
        _ body: HTTPClientResponse.Body, maxEventBytes: Int, anomalies: MetricsStore?,
        accept: (SSEEventParser.Event) -> Bool = { _ in true }, deliver: ([UInt8]) -> Void
    ) async throws {
        var parser = SSEEventParser(maxEventBytes: maxEventBytes)
        for try await chunk in body {
            var ready: [[UInt8]] = []
            chunk.withUnsafeReadableBytes { bytes in
                parser.append(bytes) { event in
                    guard accept(event) else { return }
                    guard !event.truncated else {
                        if let anomalies {
                            anomalies.recordAnomaly(.oversizedMessage, direction: .serverToClient, at: anomalies.clock.now(), sample: nil)
                        }
                        return
                    }
                    if let line = JSONLine.line(event.data) { ready.append(line) }
                }
            }
            for line in ready { deliver(line) }
        }
    }
}

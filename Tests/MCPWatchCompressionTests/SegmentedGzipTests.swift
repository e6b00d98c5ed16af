import CompressNIO
import MCPWatchCompression
import MCPWatchCore
import NIOCore
import Testing

@Suite struct SegmentedGzipTests {
    /// Decompressed by compress-nio (zlib's inflate), independently of the encoder.
    static func gunzip(_ bytes: [UInt8]) throws -> [UInt8] {
        var buffer = ByteBuffer(bytes: bytes)
        let plain = try buffer.decompress(with: .gzip())
        return Array(plain.readableBytesView)
    }

    static func call(_ tool: String, micros: UInt64, failed: Bool = false) -> CompletedCall {
        CompletedCall(method: "tools/call", target: tool, id: RequestID(1), outcome: failed ? .toolError : .ok, durationNanos: micros * 1_000,
                      finishedAt: MonotonicInstant(nanoseconds: 1_000_000), requestBytes: 120, responseBytes: 340,
                      errorMessage: failed ? "failed" : nil)
    }

    /// A store of `tools` tools, each with a few calls and one in three with a failure (two histograms).
    static func store(tools: Int) -> MetricsStore {
        let store = MetricsStore(configuration: .init(maxTargets: tools + 10), clock: ManualClock())
        for t in 0..<tools {
            for i in 0..<(3 + t % 5) { store.record(call("tool-\(t)", micros: UInt64(80 + 97 * i * (t % 13)), failed: t % 3 == 0 && i == 0)) }
        }
        store.recordTraffic(direction: .clientToServer, bytes: 4_000, messages: 20)
        return store
    }

    static func exposition(_ store: MetricsStore, openMetrics: Bool = false) -> (text: [UInt8], segments: [(key: PrometheusExposition.SegmentKey, start: Int)]) {
        var exposition = PrometheusExposition(openMetrics: openMetrics)
        exposition.writeCalls(store.counters(), server: "bench")
        let text = exposition.finishBytes()
        return (text, exposition.segments.map { (key: $0.key, start: $0.start) })
    }

    @Test(arguments: [false, true])
    func aScrapeDecompressesToTheSameTextAndUnchangedTargetsAreReused(openMetrics: Bool) throws {
        let store = Self.store(tools: 400)
        let gzip = SegmentedGzip<PrometheusExposition.SegmentKey>()

        let first = Self.exposition(store, openMetrics: openMetrics)
        #expect(first.segments.count > 400, "one segment per target's histograms, and more")
        #expect(try Self.gunzip(gzip.compress(first.text, segments: first.segments)) == first.text)
        #expect(gzip.lastRun.reused == 0)
        #expect(gzip.lastRun.compressedBytes == first.text.count)

        // Nothing changed: every segment comes from the cache, and the body is the same.
        let again = Self.exposition(store, openMetrics: openMetrics)
        #expect(again.text == first.text)
        #expect(try Self.gunzip(gzip.compress(again.text, segments: again.segments)) == again.text)
        #expect(gzip.lastRun.compressed == 0)
        #expect(gzip.lastRun.reused == gzip.cachedSegments)

        // One target changes: its segments (and the one after each, whose dictionary it is) are compressed again,
        // and everything else is reused.
        store.record(Self.call("tool-123", micros: 4_000))
        let changed = Self.exposition(store, openMetrics: openMetrics)
        #expect(changed.text != first.text)
        #expect(try Self.gunzip(gzip.compress(changed.text, segments: changed.segments)) == changed.text)
        let recompressed = gzip.lastCompressedKeys
        let histograms = "mcp_server_operation_duration_seconds"
        #expect(recompressed.contains(.init(family: histograms, block: 123)))
        #expect(recompressed.contains(.init(family: histograms, block: 124)), "its dictionary changed")
        #expect(!recompressed.contains(.init(family: histograms, block: 122)))
        #expect(!recompressed.contains(.init(family: histograms, block: 300)))
        #expect(recompressed.contains(.init(family: openMetrics ? "mcpwatch_calls" : "mcpwatch_calls_total", block: 123 / 16)))
        #expect(gzip.lastRun.compressed <= 16, "the target's segments and the ones after them: \(recompressed)")
        #expect(gzip.lastRun.reused >= changed.segments.count - 16)
        #expect(gzip.lastRun.compressedBytes < changed.text.count / 20)
    }

    @Test func compressedSizeStaysCloseToOneDeflatePass() throws {
        let scrape = Self.exposition(Self.store(tools: 1_000))
        let segmented = SegmentedGzip<PrometheusExposition.SegmentKey>().compress(scrape.text, segments: scrape.segments)
        var whole = ByteBuffer(bytes: scrape.text)
        let onePass = try whole.compress(with: .gzip(configuration: .init(compressionLevel: .fastestCompression)))
        // Each segment starts from the end of the one before as its dictionary; without it this was 3.5 times as large.
        #expect(Double(segmented.count) < Double(onePass.readableBytes) * 1.3, "\(segmented.count) against \(onePass.readableBytes)")
    }

    @Test func targetsThatDisappearLeaveTheCache() throws {
        let gzip = SegmentedGzip<PrometheusExposition.SegmentKey>()
        let large = Self.exposition(Self.store(tools: 300))
        _ = gzip.compress(large.text, segments: large.segments)
        let cachedLarge = gzip.cachedSegments
        let small = Self.exposition(Self.store(tools: 20))
        #expect(try Self.gunzip(gzip.compress(small.text, segments: small.segments)) == small.text)
        #expect(gzip.cachedSegments == small.segments.count)
        #expect(gzip.cachedSegments < cachedLarge / 5)
    }

    @Test func textOverTheCapIsCompressedWithoutACache() throws {
        let gzip = SegmentedGzip<PrometheusExposition.SegmentKey>(maxCachedBytes: 10_000)
        let scrape = Self.exposition(Self.store(tools: 50))
        #expect(scrape.text.count > 10_000)
        #expect(try Self.gunzip(gzip.compress(scrape.text, segments: scrape.segments)) == scrape.text)
        #expect(try Self.gunzip(gzip.compress(scrape.text, segments: scrape.segments)) == scrape.text)
        #expect(gzip.cachedSegments == 0)
        #expect(gzip.lastRun.reused == 0)
    }

    /// Random texts cut at random places, with repeated and missing keys, text before the first segment, empty
    /// segments and segments that change, move or vanish between calls: the output always decompresses to the input.
    @Test func anySegmentationDecompressesToTheInput() throws {
        var random = SplitMix(seed: 7)
        let gzip = SegmentedGzip<Int>()
        let words: [[UInt8]] = ["alpha", "beta", "gamma", "le=\"0.005\"} ", "\n", "tool-", "{", "}", "# HELP x y\n"].map { Array($0.utf8) }
        var pieces: [(key: Int, text: [UInt8])] = (0..<60).map { key in (key, (0..<Int(random.next() % 200)).flatMap { _ in words[Int(random.next() % UInt64(words.count))] }) }
        for round in 0..<40 {
            // Change a few pieces, sometimes drop or swap one, sometimes repeat a key.
            for _ in 0..<Int(random.next() % 4) {
                let i = Int(random.next() % UInt64(pieces.count))
                pieces[i].text += words[Int(random.next() % UInt64(words.count))]
            }
            if round % 7 == 3, pieces.count > 10 { pieces.remove(at: Int(random.next() % UInt64(pieces.count))) }
            if round % 5 == 1 { pieces.swapAt(Int(random.next() % UInt64(pieces.count)), Int(random.next() % UInt64(pieces.count))) }
            if round % 6 == 2 { pieces[Int(random.next() % UInt64(pieces.count))].text = [] }
            var all = pieces
            if round % 4 == 0 { all.append((key: pieces[0].key, text: Array("a repeated key\n".utf8))) }
            var text: [UInt8] = round % 3 == 0 ? Array("before the first segment\n".utf8) : []
            var segments: [(key: Int, start: Int)] = []
            for piece in all {
                segments.append((piece.key, text.count))
                text += piece.text
            }
            #expect(try Self.gunzip(gzip.compress(text, segments: segments)) == text, "round \(round)")
        }
        #expect(try Self.gunzip(gzip.compress([], segments: [])) == [])
        #expect(try Self.gunzip(gzip.compress(Array("no segments".utf8), segments: [])) == Array("no segments".utf8))
    }
}

/// A small deterministic generator, so that a failure can be replayed.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

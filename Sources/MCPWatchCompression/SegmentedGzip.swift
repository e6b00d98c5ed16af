import CZlib

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A gzip encoder for text made of named segments that mostly stay the same from one call to the next, such as a
/// Prometheus scrape of many targets: each segment is deflated once, and its bytes are reused while its text and
/// the text before it stay the same.
///
/// The output is one ordinary gzip member (RFC 1952), so every reader takes it. Each segment is a run of deflate
/// blocks that ends with a sync flush (byte-aligned and not final), so the runs can be joined in any combination;
/// a final empty block and the CRC-32 (combined from the segments' own) close the member. A segment is compressed
/// with the last kilobyte of the segment before it as a preset dictionary: its back-references then reach only
/// bytes that really precede it in the stream, and its first lines still find their matches there (with no
/// dictionary, 1,000 targets compressed to 3.5 times the size of one deflate pass; with it, within a few percent).
/// That is also why a segment is compressed again when the segment before it changed.
///
/// Memory: the cache holds each segment's text (to compare, byte for byte, rather than trust a hash) and its
/// compressed bytes, about the size of the last text plus its compressed size. Segments that the last call did not
/// have are dropped after it, and text longer than `maxCachedBytes` is compressed without a cache.
///
/// Not thread-safe: one call at a time (the server keeps it behind a lock).
public final class SegmentedGzip<Key: Hashable> {
    /// What the last call did.
    public struct Run: Sendable, Equatable {
        /// Segments whose compressed bytes were reused.
        public var reused = 0
        /// Segments compressed in this call.
        public var compressed = 0
        /// Bytes of text compressed in this call.
        public var compressedBytes = 0
    }

    private struct Entry {
        var text: [UInt8]
        /// Changes whenever `text` does; never shared by two entries.
        var textGeneration: UInt64
        /// `textGeneration` of the segment whose end was the dictionary; 0 for none.
        var dictionaryGeneration: UInt64
        var deflated: [UInt8]
        var crc: UInt32
        /// `crc32_combine_gen` of the text's length: appending the segment's CRC is then one multiplication
        /// (`crc32_combine` derives it from the length each time, about a microsecond per segment).
        var crcShift: UInt
        var lastUse: UInt64
    }

    /// Bytes of the previous segment given as dictionary: enough for its last few lines, whose label text the
    /// next segment's first lines repeat. (More costs more hashing per segment and gained nothing on scrapes.)
    static var dictionaryBytes: Int { 1_024 }

    private var entries: [Key: Entry] = [:]
    private var generation: UInt64 = 0
    private var calls: UInt64 = 0
    private let stream: UnsafeMutablePointer<z_stream>
    private var scratch: [UInt8] = []
    private let maxCachedBytes: Int

    /// What the last call of ``compress(_:segments:)`` did.
    public private(set) var lastRun = Run()
    /// The keys compressed (not reused) by the last call, in order.
    public private(set) var lastCompressedKeys: [Key] = []
    /// Segments held in the cache.
    public var cachedSegments: Int { entries.count }

    /// Creates an encoder with an empty cache.
    /// - Parameter maxCachedBytes: texts longer than this are compressed without keeping anything.
    public init(maxCachedBytes: Int = 64 << 20) {
        self.maxCachedBytes = maxCachedBytes
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // Level 1 (zlib's fastest), raw deflate (the gzip framing is written here), a 32 KB window, and memLevel 5: its
        // smaller hash table is cleared for each segment, and at 64 KB (the default's) that clearing alone cost
        // about a millisecond per thousand segments.
        let status = CZlib_deflateInit2(stream, 1, -15, 5)
        precondition(status == Z_OK, "deflateInit2 failed (\(status)): out of memory")
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Compresses `text` to a gzip member.
    /// - Parameters:
    ///   - text: the whole text.
    ///   - segments: where each segment starts, in increasing order; the first segment starts at 0 (bytes before
    ///     it are compressed as a segment of their own, never cached). A key that comes twice is cached once.
    /// - Returns: the gzip member; it decompresses to exactly `text`.
    public func compress(_ text: [UInt8], segments: [(key: Key, start: Int)]) -> [UInt8] {
        calls += 1
        lastRun = Run()
        lastCompressedKeys = []
        let caching = text.count <= maxCachedBytes
        if !caching { entries = [:] }

        var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 4, 3]  // gzip, deflate, no name or time, fastest, Unix
        out.reserveCapacity(text.count / 16 + 64)
        var crc: UInt32 = 0
        text.withUnsafeBufferPointer { whole in
            var previous: Range<Int> = 0..<0  // the last non-empty segment's bytes: the next one's dictionary
            var previousGeneration: UInt64 = 0
            var used = 0

            func append(_ key: Key?, _ range: Range<Int>) {
                guard !range.isEmpty else { return }
                let bytes = UnsafeBufferPointer(rebasing: whole[range])
                let dictionary = UnsafeBufferPointer(rebasing: whole[max(previous.lowerBound, previous.upperBound - Self.dictionaryBytes)..<previous.upperBound])
                defer { previous = range }
                if caching, let key, let index = entries.index(forKey: key), entries.values[index].lastUse != calls {
                    let entry = entries.values[index]
                    let sameText = entry.text.count == bytes.count
                        && entry.text.withUnsafeBufferPointer { memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }
                    if sameText, entry.dictionaryGeneration == previousGeneration {
                        out += entry.deflated
                        crc = UInt32(crc32_combine_op(uLong(crc), uLong(entry.crc), entry.crcShift))
                        entries.values[index].lastUse = calls
                        previousGeneration = entry.textGeneration
                        lastRun.reused += 1
                        used += 1
                        return
                    }
                    let deflated = deflate(bytes, dictionary: dictionary)
                    let segmentCRC = UInt32(crc32(0, bytes.baseAddress, uInt(bytes.count)))
                    out += deflated
                    crc = UInt32(crc32_combine(uLong(crc), uLong(segmentCRC), off_t(bytes.count)))
                    if !sameText {
                        generation += 1
                        entries.values[index].text = Array(bytes)
                        entries.values[index].textGeneration = generation
                    }
                    entries.values[index].dictionaryGeneration = previousGeneration
                    entries.values[index].deflated = deflated
                    entries.values[index].crc = segmentCRC
                    if !sameText { entries.values[index].crcShift = crc32_combine_gen(off_t(bytes.count)) }
                    entries.values[index].lastUse = calls
                    previousGeneration = entries.values[index].textGeneration
                    used += 1
                } else {
                    let deflated = deflate(bytes, dictionary: dictionary)
                    let segmentCRC = UInt32(crc32(0, bytes.baseAddress, uInt(bytes.count)))
                    out += deflated
                    crc = UInt32(crc32_combine(uLong(crc), uLong(segmentCRC), off_t(bytes.count)))
                    generation += 1
                    // A key seen before in this call (or none) is not cached: the first one with it keeps the entry.
                    if caching, let key, entries[key] == nil {
                        entries[key] = Entry(text: Array(bytes), textGeneration: generation, dictionaryGeneration: previousGeneration,
                                             deflated: deflated, crc: segmentCRC, crcShift: crc32_combine_gen(off_t(bytes.count)), lastUse: calls)
                        used += 1
                    }
                    previousGeneration = generation
                }
                lastRun.compressed += 1
                lastRun.compressedBytes += bytes.count
                if let key { lastCompressedKeys.append(key) }
            }

            if let first = segments.first, first.start > 0 { append(nil, 0..<min(first.start, whole.count)) }
            if segments.isEmpty { append(nil, 0..<whole.count) }
            for (i, segment) in segments.enumerated() {
                let end = i + 1 < segments.count ? segments[i + 1].start : whole.count
                append(segment.key, max(0, segment.start)..<max(max(0, segment.start), min(end, whole.count)))
            }
            if caching, entries.count > used { entries = entries.filter { $0.value.lastUse == calls } }
        }
        out += [0x03, 0x00]  // a final, empty block with fixed codes
        for value in [crc, UInt32(truncatingIfNeeded: text.count)] {
            for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
        }
        return out
    }

    /// Raw deflate of one segment, ended by a sync flush, after the end of the previous segment as dictionary.
    private func deflate(_ bytes: UnsafeBufferPointer<UInt8>, dictionary: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        deflateReset(stream)
        if dictionary.count > 0 { deflateSetDictionary(stream, dictionary.baseAddress, uInt(dictionary.count)) }
        // deflateBound is for a finished stream; a sync flush adds an empty stored block (5 bytes) and the bits of
        // the current one.
        let bound = Int(deflateBound(stream, uLong(bytes.count))) + 16
        if scratch.count < bound { scratch = [UInt8](repeating: 0, count: bound) }
        return scratch.withUnsafeMutableBufferPointer { buffer in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress)
            stream.pointee.avail_in = uInt(bytes.count)
            stream.pointee.next_out = buffer.baseAddress
            stream.pointee.avail_out = uInt(buffer.count)
            let status = CZlib.deflate(stream, Z_SYNC_FLUSH)
            // With the whole input and deflateBound's room given, one call consumes everything.
            precondition(status == Z_OK && stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0, "deflate: \(status)")
            return Array(UnsafeBufferPointer(rebasing: buffer[..<(buffer.count - Int(stream.pointee.avail_out))]))
        }
    }
}

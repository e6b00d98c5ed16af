import MCPWatchCore

/// Adds many ``SparseHistogram`` BLOBs into one dense count array (a range's histogram), for percentiles.
struct HistogramSum: Sendable {
    private(set) var counts: [UInt64] = []
    private(set) var total: UInt64 = 0

    /// Adds one BLOB (malformed ones add nothing).
    mutating func add(blob: [UInt8]) {
        if counts.isEmpty { counts = Array(repeating: 0, count: LatencyCounts.indexCount) }
        var i = 0
        var index = -1
        @inline(__always) func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while i < blob.count {
                let byte = blob[i]
                i += 1
                value |= UInt64(byte & 0x7f) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
                if shift > 63 { return nil }
            }
            return nil
        }
        while i < blob.count {
            guard let gap = varint(), let count = varint() else { return }
            index = index < 0 ? Int(gap) : index + Int(gap)
            guard index >= 0, index < counts.count else { return }
            counts[index] += count
            total += count
        }
    }

    /// Adds another sum.
    mutating func add(_ other: HistogramSum) {
        guard other.total > 0 else { return }
        if counts.isEmpty { counts = other.counts; total = other.total; return }
        for i in counts.indices { counts[i] += other.counts[i] }
        total += other.total
    }

    /// Values in milliseconds at the percentiles (0 to 100), nearest rank, one walk; nil when empty.
    func percentilesMs(_ percentiles: [Double]) -> [Double?] {
        guard total > 0 else { return percentiles.map { _ in nil } }
        let ranks = percentiles.map { p in
            Swift.max(1, UInt64((Swift.min(Swift.max(p.nextDown, 0), 100) * Double(total) / 100).rounded(.up)))
        }
        var out: [Double?] = Array(repeating: nil, count: ranks.count)
        var seen: UInt64 = 0
        var next = 0
        // Ranks are asked in increasing order by every caller; answer each as the walk passes it.
        let order = ranks.indices.sorted { ranks[$0] < ranks[$1] }
        for (index, count) in counts.enumerated() where count > 0 {
            seen += count
            while next < order.count, seen >= ranks[order[next]] {
                out[order[next]] = Double(LatencyCounts.upperMicros(index: index)) / 1_000
                next += 1
            }
            if next == order.count { break }
        }
        return out
    }
}

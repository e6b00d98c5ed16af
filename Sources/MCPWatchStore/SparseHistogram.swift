import MCPWatchCore

/// A latency histogram as the store keeps it: the non-empty cells of ``LatencyCounts``' layout (values in µs to
/// within 1 %), as a BLOB of unsigned LEB128 varints, pairs of (index gap since the previous cell, count).
///
/// Histograms add cell by cell, so the one of any range is the sum of its rows', and its percentiles are exact to
/// the layout's 1 %: never an average of percentiles. docs/store.md describes the format for `sqlite3` users.
public struct SparseHistogram: Sendable, Equatable {
    /// (cell index, count), in increasing index order, counts above zero.
    public private(set) var cells: [(index: Int, count: UInt64)]

    /// Creates a histogram from cells in increasing index order.
    public init(cells: [(index: Int, count: UInt64)] = []) { self.cells = cells }

    public static func == (a: SparseHistogram, b: SparseHistogram) -> Bool {
        a.cells.count == b.cells.count && zip(a.cells, b.cells).allSatisfy { $0.index == $1.index && $0.count == $1.count }
    }

    /// Calls counted.
    public var total: UInt64 { cells.reduce(0) { $0 + $1.count } }

    /// Reads the BLOB format; nil when it is not well formed.
    public init?(blob: [UInt8]) {
        var cells: [(index: Int, count: UInt64)] = []
        guard Self.walk(blob, { cells.append(($0, $1)) }) else { return nil }
        self.cells = cells
    }

    /// Reads a BLOB cell by cell, in increasing index order, without building the cells: `body` gets each (index,
    /// count) as it is read. The one reader of the format (``HistogramSum`` adds BLOBs through it).
    /// - Returns: false at the first malformed cell (the cells before it have been given to `body`).
    @inline(__always)
    static func walk(_ blob: [UInt8], _ body: (Int, UInt64) -> Void) -> Bool {
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
            guard let gap = varint(), let count = varint(), gap > 0 || index < 0 else { return false }
            index += Int(gap) + (index < 0 ? 1 : 0)
            guard index < LatencyCounts.indexCount else { return false }
            body(index, count)
        }
        return true
    }

    /// The BLOB format.
    public var blob: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(cells.count * 3)
        func put(_ v: UInt64) {
            var v = v
            while v >= 0x80 {
                out.append(UInt8(v & 0x7f) | 0x80)
                v >>= 7
            }
            out.append(UInt8(v))
        }
        var previous = -1
        for cell in cells {
            put(UInt64(previous < 0 ? cell.index : cell.index - previous))
            put(cell.count)
            previous = cell.index
        }
        return out
    }

    /// Adds another histogram, cell by cell.
    public mutating func add(_ other: SparseHistogram) {
        guard !other.cells.isEmpty else { return }
        guard !cells.isEmpty else {
            cells = other.cells
            return
        }
        var merged: [(index: Int, count: UInt64)] = []
        merged.reserveCapacity(cells.count + other.cells.count)
        var a = 0, b = 0
        while a < cells.count || b < other.cells.count {
            if b == other.cells.count || (a < cells.count && cells[a].index < other.cells[b].index) {
                merged.append(cells[a]); a += 1
            } else if a == cells.count || other.cells[b].index < cells[a].index {
                merged.append(other.cells[b]); b += 1
            } else {
                merged.append((cells[a].index, cells[a].count + other.cells[b].count)); a += 1; b += 1
            }
        }
        cells = merged
    }

    /// The value in milliseconds at each percentile (0 to 100), nearest rank, as HdrHistogram finds it (the highest
    /// value of the cell); nil when empty.
    public func percentilesMs(_ percentiles: [Double]) -> [Double?] {
        let total = self.total
        guard total > 0 else { return percentiles.map { _ in nil } }
        return percentiles.map { p in
            let rank = Swift.max(1, UInt64((Swift.min(Swift.max(p.nextDown, 0), 100) * Double(total) / 100).rounded(.up)))
            var seen: UInt64 = 0
            for cell in cells {
                seen += cell.count
                if seen >= rank { return Double(LatencyCounts.upperMicros(index: cell.index)) / 1_000 }
            }
            return cells.last.map { Double(LatencyCounts.upperMicros(index: $0.index)) / 1_000 }
        }
    }
}

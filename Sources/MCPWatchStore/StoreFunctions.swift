import Foundation
import GRDB
import MCPWatchCore

/// SQL functions the writer's upserts use to add a row into an existing one, in the database (so that concurrent
/// writers of one row never lose each other's counts).
enum StoreFunctions {
    /// `histogram_merge(a, b)`: the cell-by-cell sum of two ``SparseHistogram`` BLOBs.
    static let histogramMerge = DatabaseFunction("histogram_merge", argumentCount: 2, pure: true) { values in
        let a = blob(values[0]), b = blob(values[1])
        guard var left = SparseHistogram(blob: a) else { return Data(b) }
        guard let right = SparseHistogram(blob: b) else { return Data(a) }
        left.add(right)
        return Data(left.blob)
    }

    /// `counts_merge(a, b)`: two JSON objects of counts (`{"tool_error": 2}`) added key by key; NULL is empty.
    static let countsMerge = DatabaseFunction("counts_merge", argumentCount: 2, pure: true) { values in
        let a = String.fromDatabaseValue(values[0]), b = String.fromDatabaseValue(values[1])
        guard let a else { return b }
        guard let b else { return a }
        var merged = ErrorCounts.decode(a)
        for (key, value) in ErrorCounts.decode(b) { merged[key, default: 0] += value }
        return ErrorCounts.encode(merged)
    }

    static func blob(_ value: DatabaseValue) -> [UInt8] {
        guard let data = Data.fromDatabaseValue(value) else { return [] }
        return Array(data)
    }
}

/// Errors by type as the store writes them: a JSON object of counts, keys sorted.
enum ErrorCounts {
    static func encode(_ counts: [String: UInt64]) -> String? {
        guard !counts.isEmpty else { return nil }
        return "{" + counts.sorted { $0.key < $1.key }.map { "\(JSONRPCErrorResponse.jsonString($0.key)):\($0.value)" }.joined(separator: ",") + "}"
    }

    static func decode(_ text: String) -> [String: UInt64] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return [:] }
        var out: [String: UInt64] = [:]
        for (key, value) in object { if let n = value as? NSNumber { out[key] = n.uint64Value } }
        return out
    }
}

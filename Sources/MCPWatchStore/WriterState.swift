import Foundation
import GRDB
import MCPWatchCore

/// The writer's own state, touched only under its lock on its queue.
struct WriterState: Sendable {
    var pool: DatabasePool?
    /// The file turned out not to be (or no longer to be) a store: never written again by this process.
    var refused = false
    var lastOpenAttempt: Date?
    var lastRetention: Date?
    var lastSample: Date?
    var cursor = ExportCursor()
    var previous: [TargetKey: TargetTotals] = [:]
    var pendingDeltas: [SeriesDelta] = []
    /// The open minute and hour, written whole when the minute closes.
    var rollup = SeriesRollup()
    var pendingCalls: [CallRow] = []
    var pendingSamples: [SystemReport] = []
    var pendingAlerts: [AlertEvent] = []
    var serverID: Int64?
    var serverName: String?
    var instanceID: Int64?
    var targetIDs: [TargetKey: Int64] = [:]
    var clientIDs: [String: Int64] = [:]
    var ended = false
    /// This instance's API socket, when the fleet registered one.
    var socket: String?

    /// What one transaction created, taken into the state only once it has committed.
    struct Written {
        var serverID: Int64?
        var serverName: String?
        var instanceID: Int64?
        var targetIDs: [TargetKey: Int64] = [:]
        var clientIDs: [String: Int64] = [:]
        var ended = false
        var rollup: SeriesRollup?
    }

    mutating func apply(_ written: Written) {
        if let id = written.serverID { serverID = id; serverName = written.serverName }
        if let id = written.instanceID { instanceID = id }
        targetIDs.merge(written.targetIDs) { $1 }
        clientIDs.merge(written.clientIDs) { $1 }
        if written.ended { ended = true }
        if let written = written.rollup { rollup = written }
    }

    /// Folds the pending deltas into one per target (a store that has not been writable for a long time): the counts
    /// stay exact, the time resolution of that stretch is lost.
    mutating func mergePendingDeltas() {
        var merged: [TargetKey: SeriesDelta] = [:]
        for delta in pendingDeltas {
            if merged[delta.key] == nil { merged[delta.key] = delta } else { merged[delta.key]!.add(delta) }
        }
        pendingDeltas = Array(merged.values)
    }
}

/// One call-log row, ready to insert.
struct CallRow: Sendable {
    var atMillis: Int64
    var key: TargetKey
    var direction: Direction
    var client: PeerInfo?
    var durationMicros: Int64
    var outcome: String
    var errorCode: Int?
    var errorMessage: String?
    var requestBytes: Int
    var responseBytes: Int
    /// Captured arguments and result (`store.capture`), already truncated.
    var arguments: String?
    var result: String?

    init(_ call: CompletedCall, at: Date, client: PeerInfo?) {
        atMillis = Int64((at.timeIntervalSince1970 * 1_000).rounded())
        key = TargetKey(method: call.method, target: call.target)
        direction = call.direction
        self.client = client
        durationMicros = Int64(call.durationNanos / 1_000)
        outcome = call.outcome.rawValue
        errorCode = call.errorCode
        errorMessage = call.errorMessage.map { message in
            message.utf8.count <= StoreWriter.maxErrorMessageBytes ? message
                : String(decoding: message.utf8.prefix(StoreWriter.maxErrorMessageBytes), as: UTF8.self)
        }
        requestBytes = call.requestBytes
        responseBytes = call.responseBytes
        arguments = call.arguments
        result = call.result
    }
}

import Dispatch
import Foundation
import GRDB
import Logging
import MCPWatchCore
import ServiceLifecycle
import Synchronization

/// The one writer of a process's measurements into the local store: a `Service` that flushes every
/// `store.flush_interval` and once more at graceful shutdown (after the relay has drained, see ``ShutdownOrder``).
///
/// It never runs on the relay's threads: each flush reads cumulative figures from the ``MetricsStore`` (a short
/// lock, the changed targets only), drains the call-log buffer, and writes on a queue of its own. A flush that
/// cannot write (disk full, a read-only folder, a database locked past the busy timeout) keeps its rows for the
/// next one (merged per target when they pile up, so counts stay exact), says so once in the log and in ``status``,
/// and writing resumes by itself.
public final class StoreWriter: Service, Sendable {
    /// What the writer reads.
    public struct Sources: Sendable {
        /// The measurements.
        public var metrics: MetricsStore
        /// The latest process and host sample.
        public var system: @Sendable () -> SystemReport?
        /// The alert engine, whose transitions are stored.
        public var alerts: AlertEngine?
        /// What traffic control did, when it is configured (table `traffic`, one row per flush that saw a change).
        public var traffic: TrafficStats?
        /// The traffic figures stored last.
        let trafficCursor = TrafficStoreCursor()

        /// Creates sources.
        public init(metrics: MetricsStore, system: @escaping @Sendable () -> SystemReport? = { nil }, alerts: AlertEngine? = nil) {
            self.metrics = metrics
            self.system = system
            self.alerts = alerts
        }
    }

    /// The settings in force.
    public let settings: StoreSettings
    /// The server and mode measured.
    public let identity: StoreIdentity
    /// How the store is doing.
    public let status: StoreStatus
    let sources: Sources
    let logger: Logger
    let now: @Sendable () -> Date
    let state: Mutex<WriterState>
    let alertEvents = AlertInbox()
    private let queue = DispatchQueue(label: "mcpwatch-store-writer")

    /// Rows kept for a store that cannot be written, before deltas are merged per target and calls dropped.
    static let maxPendingDeltas = 20_000
    static let maxPendingCalls = 20_000
    /// Longest error message kept in the call log.
    static let maxErrorMessageBytes = 512

    /// Creates a writer; nothing is opened until ``run()`` or the first ``flush(final:)``.
    /// - Parameter now: the wall clock (injected by tests and benchmarks that simulate days).
    public init(settings: StoreSettings, identity: StoreIdentity, sources: Sources, logger: Logger,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.settings = settings
        self.identity = identity
        self.sources = sources
        self.logger = logger
        self.now = now
        status = StoreStatus(path: settings.resolvedPath)
        state = Mutex(WriterState())
        if let alerts = sources.alerts {
            let inbox = alertEvents
            alerts.addListener { event in inbox.add(event) }
        }
    }

    /// Flushes every interval until graceful shutdown, then once more (the relay has drained by then), and closes.
    public func run() async throws {
        sources.metrics.callLog.enable(capture: settings.capture, captureBytes: settings.captureBytes)
        await flushOffThread(final: false)
        let interval = settings.flushInterval
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { break }
                await self.flushOffThread(final: false)
            }
        }
        // The last flush is the one that holds the drained relay's calls: a lock or a passing error gets two more tries.
        for _ in 0..<3 { if await flushOffThread(final: true) { break } }
        close()
    }

    @discardableResult
    private func flushOffThread(final: Bool) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            queue.async { continuation.resume(returning: self.flush(final: final)) }
        }
    }

    /// Registers this instance's own API socket (the fleet's front door reads it from `instances.socket`); written
    /// with the next flush.
    public func register(socket: String?) { state.withLock { $0.socket = socket } }

    /// Closes the database (the last flush has been made).
    public func close() {
        state.withLock { state in
            // Fold the WAL into the file when no other process is reading (PASSIVE never waits), so that a store
            // left alone is one file.
            _ = try? state.pool?.writeWithoutTransaction { try $0.checkpoint(.passive) }
            try? state.pool?.close()
            state.pool = nil
        }
    }

    /// Reads what changed and writes it; `final` also marks the instance ended (with the server's exit status).
    /// - Returns: whether the rows were written (false: they wait for the next flush).
    @discardableResult
    public func flush(final: Bool = false) -> Bool {
        let started = DispatchTime.now().uptimeNanoseconds
        let metrics = sources.metrics
        let wallNow = now()
        let second = Int64(wallNow.timeIntervalSince1970.rounded(.down))
        return state.withLock { state -> Bool in
            collect(into: &state, at: second)
            if state.refused { return false }  // the problem stays as it was reported
            if state.pool == nil {
                guard final || state.lastOpenAttempt.map({ wallNow.timeIntervalSince($0) >= 5 }) ?? true else { return false }
                state.lastOpenAttempt = wallNow
                do {
                    state.pool = try StoreDatabase.open(path: settings.resolvedPath)
                } catch {
                    report(failure: StoreDatabase.reason(error))
                    return false
                }
            }
            guard let pool = state.pool else { return false }
            let session = metrics.session
            var written = WriterState.Written()
            do {
                try pool.write { db in
                    try write(db, state: state, written: &written, session: session, now: wallNow, final: final)
                }
            } catch {
                let reason = StoreDatabase.reason(error)
                if let error = error as? DatabaseError, [.SQLITE_NOTADB, .SQLITE_CORRUPT].contains(error.resultCode) {
                    // Never again written to: a store that became unreadable is left for people to look at.
                    try? pool.close()
                    state.pool = nil
                    state.refused = true
                }
                report(failure: reason)
                return false
            }
            state.apply(written)
            let callsWritten = UInt64(state.pendingCalls.count)
            state.pendingDeltas.removeAll(keepingCapacity: true)
            state.pendingCalls.removeAll(keepingCapacity: true)
            state.pendingSamples.removeAll(keepingCapacity: true)
            state.pendingAlerts.removeAll(keepingCapacity: true)
            if wallNow.timeIntervalSince(state.lastRetention ?? .distantPast) >= 60 || final {
                state.lastRetention = wallNow
                do {
                    // Killed instances' open minutes first: retention could drop the seconds they are rebuilt from.
                    let own = state.instanceID
                    try pool.write { db in try recoverAbandoned(db, now: wallNow, except: own) }
                    try StoreRetention(settings: settings).apply(pool, now: wallNow)
                } catch {
                    logger.debug("store retention deferred: \(StoreDatabase.reason(error))")
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            status.update {
                $0.flushes += 1
                $0.callsLogged += callsWritten
                $0.lastFlushSeconds = seconds
                $0.lastFlush = wallNow
            }
            if let previous = status.recover() {
                logger.notice("the store is written again", metadata: ["path": "\(settings.resolvedPath)", "was": "\(previous)"])
            }
            return true
        }
    }

    private func report(failure reason: String) {
        if status.fail(reason) {
            // Once per distinct problem: a full disk must not fill the log too.
            logger.warning("cannot write the store; the relay goes on, and writing is retried: \(reason)",
                           metadata: ["path": "\(settings.resolvedPath)"])
        }
    }

    /// Takes what changed since the last flush into the pending rows.
    private func collect(into state: inout WriterState, at second: Int64) {
        let metrics = sources.metrics
        for totals in metrics.changedTargets(since: &state.cursor) {
            if let delta = SeriesDelta(current: totals, previous: state.previous[totals.key], at: second) {
                state.pendingDeltas.append(delta)
            }
            state.previous[totals.key] = totals
        }
        if state.pendingDeltas.count > Self.maxPendingDeltas { state.mergePendingDeltas() }
        let drained = metrics.callLog.drain()
        let client = metrics.session.client
        for call in drained.calls {
            state.pendingCalls.append(CallRow(call, at: metrics.wallDate(of: call.finishedAt), client: client))
        }
        if state.pendingCalls.count > Self.maxPendingCalls {
            let excess = state.pendingCalls.count - Self.maxPendingCalls
            state.pendingCalls.removeFirst(excess)
            status.update { $0.droppedRows += UInt64(excess) }
        }
        status.update {
            $0.callLogDropped = drained.dropped
            $0.callLogSampledOut = drained.sampledOut
        }
        if let system = sources.system(), system.sampledAt != state.lastSample {
            state.lastSample = system.sampledAt
            if state.pendingSamples.count < 1_000 { state.pendingSamples.append(system) }
        }
        let events = alertEvents.take()
        state.pendingAlerts.append(contentsOf: events.prefix(max(0, 10_000 - state.pendingAlerts.count)))
    }
}

/// Alert transitions between two flushes, as the engine's listener hands them over (bounded).
final class AlertInbox: Sendable {
    private let events = Mutex<[AlertEvent]>([])

    func add(_ event: AlertEvent) { events.withLock { if $0.count < 10_000 { $0.append(event) } } }

    func take() -> [AlertEvent] {
        events.withLock { events in
            defer { events.removeAll() }
            return events
        }
    }
}

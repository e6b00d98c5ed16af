import Histogram
import MCPWatchCore

/// The run's bookkeeping, shared by the reader and scheduler threads under one lock: which calls are out, the
/// phase, the counts and the latency histogram. Plain value logic with no I/O and no clock of its own: every
/// method is told the time, so that it can be driven step by step.
struct BenchState {
    enum Phase: Equatable {
        case initializing, warmup, measuring, draining, finished

        var name: String {
            switch self {
            case .initializing: "initializing"
            case .warmup: "warmup"
            case .measuring: "measuring"
            case .draining: "draining"
            case .finished: "finished"
            }
        }
    }

    /// How an answered call ended.
    enum Outcome {
        case ok, toolError, jsonrpcError
    }

    /// What the server answered to `initialize`.
    enum Handshake {
        case answered(BenchResult.Server)
        case failed(String)
    }

    struct Pending {
        /// When the call was meant to start (open loop) or was sent (closed loop), in clock nanoseconds.
        var intended: UInt64
        var measured: Bool
    }

    static let highestLatencyMicroseconds: UInt64 = 3_600_000_000

    let configuration: BenchConfiguration
    let timeoutNanoseconds: UInt64
    /// Request prefixes up to the id, by entry then argument object.
    private let templates: [[[UInt8]]]
    private var selector: ToolMix.Selector

    private(set) var phase = Phase.initializing
    /// Set when a phase changes; the reader rings the scheduler so that it re-plans its wake-up.
    var phaseChanged = false
    private(set) var outstanding: [Int: Pending] = [:]
    private var deadlines = DeadlineQueue()
    private var nextID = 1

    var handshake: Handshake?
    private(set) var failure: String?

    private(set) var histogram = Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: highestLatencyMicroseconds, numberOfSignificantValueDigits: .three)
    private(set) var ok = 0
    private(set) var errors = BenchResult.Errors()
    private(set) var warmupStarted = 0
    private(set) var measuredStarted = 0
    /// Calls answered, warmup included (for the progress rate).
    private(set) var answeredAll = 0
    var lateResponses = 0
    var unexpectedLines = 0
    /// The first failed answer of each kind, as the server worded it.
    var errorExamples: [String: String] = [:]

    private(set) var warmupStart: UInt64 = 0
    private(set) var measureStart: UInt64?
    private(set) var lastEnd: UInt64 = 0
    /// When the measured phase's schedule ended: its --duration, or in an open loop the last call's interval. The
    /// elapsed time covers it even when the last answer came sooner (at 2 calls/s, 4 calls take 2 s, not 1.5).
    private(set) var scheduleEnd: UInt64 = 0

    /// Open loop: calls scheduled so far, and when the schedule began.
    private(set) var scheduled = 0
    private(set) var scheduleStart: UInt64 = 0

    init(configuration: BenchConfiguration) {
        self.configuration = configuration
        self.timeoutNanoseconds = max(1, configuration.timeout.totalNanoseconds)
        self.selector = configuration.mix.makeSelector()
        self.templates = configuration.mix.entries.indices.map { entry in
            configuration.mix.entries[entry].arguments.indices.map { configuration.mix.requestPrefix(entry: entry, arguments: $0) }
        }
        outstanding.reserveCapacity(Self.expectedInFlight(configuration.load))
    }

    private static func expectedInFlight(_ load: BenchConfiguration.Load) -> Int {
        switch load {
        case .closed(let concurrency): min(concurrency, 1 << 16)
        case .open(_, let maxInFlight): min(maxInFlight, 1 << 16)
        }
    }

    var isSending: Bool { phase == .warmup || phase == .measuring }
    var isFinished: Bool { phase == .finished }

    // MARK: Phases

    /// The handshake is done: the warmup (or the measured phase) starts now.
    mutating func begin(at now: UInt64) {
        guard phase == .initializing else { return }
        warmupStart = now
        scheduleStart = now
        phase = .warmup
        advance(to: now)
    }

    /// Moves through the phases that `now` (or the counts) have reached.
    mutating func advance(to now: UInt64) {
        while true {
            switch phase {
            case .warmup:
                switch configuration.warmup {
                case nil:
                    enterMeasuring(at: now)
                case .calls(let count)?:
                    guard warmupStarted >= count else { return }
                    enterMeasuring(at: now)
                case .duration(let duration)?:
                    let end = warmupStart &+ duration.totalNanoseconds
                    guard now >= end else { return }
                    enterMeasuring(at: end)
                }
            case .measuring:
                switch configuration.length {
                case .calls(let count):
                    guard measuredStarted >= count else { return }
                    // Open loop: `now` is the last call's slot in the schedule, which ends one interval later.
                    if case .open(let rate, _) = configuration.load { scheduleEnd = now &+ UInt64((1e9 / rate).rounded()) }
                case .duration(let duration):
                    guard let start = measureStart, now >= start &+ duration.totalNanoseconds else { return }
                    scheduleEnd = start &+ duration.totalNanoseconds
                }
                phase = .draining
                phaseChanged = true
            case .draining:
                guard outstanding.isEmpty else { return }
                phase = .finished
                phaseChanged = true
            case .initializing, .finished:
                return
            }
        }
    }

    private mutating func enterMeasuring(at time: UInt64) {
        phase = .measuring
        measureStart = time
        lastEnd = time
        phaseChanged = true
    }

    /// When the current phase ends by the clock, if it does.
    var phaseDeadline: UInt64? {
        switch phase {
        case .warmup:
            if case .duration(let duration)? = configuration.warmup { return warmupStart &+ duration.totalNanoseconds }
        case .measuring:
            if case .duration(let duration) = configuration.length, let start = measureStart { return start &+ duration.totalNanoseconds }
        default:
            break
        }
        return nil
    }

    // MARK: Calls

    /// Starts one call meant to start at `intended`: appends its request to `out`, or counts it as an overload
    /// when the open loop's cap is reached. Returns false when no more calls may start.
    mutating func startCall(intended: UInt64, into out: inout [UInt8]) -> Bool {
        advance(to: intended)
        guard isSending else { return false }
        let measured = phase == .measuring
        if measured { measuredStarted += 1 } else { warmupStarted += 1 }
        if case .open(_, let maxInFlight) = configuration.load, outstanding.count >= maxInFlight {
            if measured {
                errors.overload += 1
                lastEnd = max(lastEnd, intended)
            }
        } else {
            let id = nextID
            nextID += 1
            outstanding[id] = Pending(intended: intended, measured: measured)
            deadlines.append(.init(id: id, deadline: intended &+ timeoutNanoseconds))
            let (entry, arguments) = selector.next()
            out.append(contentsOf: templates[entry][arguments])
            out.appendDecimal(id)
            out.append(UInt8(ascii: "}"))
            out.append(0x0A)
        }
        advance(to: intended)
        return true
    }

    /// Open loop: starts every call whose scheduled time has come (at most `limit`, so the lock is not held long).
    mutating func startScheduledCalls(now: UInt64, rate: Double, limit: Int = 4096, into out: inout [UInt8]) {
        var started = 0
        while started < limit, isSending {
            let intended = nextScheduled(rate: rate)
            guard intended <= now else { return }
            guard startCall(intended: intended, into: &out) else { return }
            scheduled += 1
            started += 1
        }
    }

    /// When the next open-loop call is due.
    func nextScheduled(rate: Double) -> UInt64 {
        scheduleStart &+ UInt64((Double(scheduled) * 1e9 / rate).rounded())
    }

    /// An answer arrived. Returns false when no such call is out (it timed out, or was never ours).
    @discardableResult
    mutating func complete(id: Int, outcome: Outcome, at now: UInt64) -> Bool {
        guard let pending = outstanding.removeValue(forKey: id) else {
            // After the run ended early, answers to calls given up on are not late: the run was no longer waiting.
            if failure == nil { lateResponses += 1 }
            return false
        }
        answeredAll += 1
        if pending.measured {
            let micros = (now &- min(now, pending.intended) + 500) / 1_000
            histogram.record(min(micros, Self.highestLatencyMicroseconds))
            switch outcome {
            case .ok: ok += 1
            case .toolError: errors.toolError += 1
            case .jsonrpcError: errors.jsonrpcError += 1
            }
            lastEnd = max(lastEnd, now)
        }
        return true
    }

    /// Keeps the first failed answer of its kind, so that the result can say why calls failed.
    mutating func note(_ example: (outcome: Outcome, text: String)?) {
        guard let example else { return }
        let key = example.outcome == .jsonrpcError ? "jsonrpc_error" : "tool_error"
        if errorExamples[key] == nil { errorExamples[key] = String(example.text.prefix(300)) }
    }

    /// One call was lost (its HTTP request failed): a `transport` error, the run goes on.
    mutating func lose(id: Int, at now: UInt64) {
        guard let pending = outstanding.removeValue(forKey: id) else { return }
        if pending.measured {
            errors.transport += 1
            lastEnd = max(lastEnd, now)
        }
    }

    /// Connections refused in a row, with no answer in between (HTTP).
    private(set) var refusalsInARow = 0
    /// Refusals in a row after which the server counts as gone: one may be a hiccup, three with no answer between
    /// them (each worker reconnects at once) mean nothing listens any more.
    static let refusalsToGiveUp = 3

    /// One call could not connect: the server refused the connection. A `transport` error; after
    /// ``refusalsToGiveUp`` in a row the run ends with `reason`, instead of counting refused attempts as calls.
    mutating func refuse(id: Int?, at now: UInt64, reason: String) {
        if let id { lose(id: id, at: now) }
        refusalsInARow += 1
        if refusalsInARow >= Self.refusalsToGiveUp { fail(reason, at: now) }
    }

    /// A call got an HTTP answer: the server is there, refusals so far were passing.
    mutating func reached() { refusalsInARow = 0 }

    /// One call timed out on its own (its HTTP request's deadline passed).
    mutating func expireCall(id: Int, at now: UInt64) {
        guard let pending = outstanding.removeValue(forKey: id) else { return }
        if pending.measured {
            errors.timeout += 1
            lastEnd = max(lastEnd, now)
        }
    }

    /// Counts calls past their deadline as timeouts. Returns how many expired.
    mutating func expire(at now: UInt64) -> Int {
        var expired = 0
        while let first = deadlines.first, first.deadline <= now {
            deadlines.removeFirst()
            if let pending = outstanding.removeValue(forKey: first.id) {
                expired += 1
                if pending.measured {
                    errors.timeout += 1
                    lastEnd = max(lastEnd, now)
                }
            }
        }
        return expired
    }

    /// Drops deadlines of calls already answered from the front of the queue, so it stays short.
    mutating func pruneDeadlines() {
        while let first = deadlines.first, outstanding[first.id] == nil { deadlines.removeFirst() }
    }

    /// When the oldest call still out expires.
    var nextDeadline: UInt64? { deadlines.first?.deadline }

    /// The connection broke: every call still out is lost, and the run ends. With `dropOutstanding` (an
    /// interrupt) calls still out are not errors but not counted at all: `calls` are those that ended.
    mutating func fail(_ reason: String, at now: UInt64, dropOutstanding: Bool = false) {
        guard phase != .finished else { return }
        failure = reason
        for pending in outstanding.values where pending.measured {
            if dropOutstanding {
                measuredStarted -= 1
            } else {
                errors.transport += 1
            }
            lastEnd = max(lastEnd, now)
        }
        outstanding.removeAll()
        deadlines.removeAll()
        phase = .finished
        phaseChanged = true
    }

    // MARK: Reporting

    func progress(at now: UInt64, recentCallsPerSecond: Double) -> BenchProgress {
        BenchProgress(
            elapsedSeconds: Double(now &- min(now, warmupStart)) / 1e9, phase: phase.name, answered: ok + errors.toolError + errors.jsonrpcError,
            errors: errors.total, inFlight: outstanding.count, recentCallsPerSecond: recentCallsPerSecond)
    }

    func result(startedAt: String, server: BenchResult.Server?) -> BenchResult {
        let end = max(lastEnd, scheduleEnd)
        let elapsed = measureStart.map { Double(end &- min(end, $0)) / 1e9 } ?? 0
        let answered = ok + errors.toolError + errors.jsonrpcError
        let latency: BenchResult.Latency = histogram.totalCount == 0 ? .zero : BenchResult.Latency(
            min: Double(histogram.min), p50: Double(histogram.valueAtPercentile(50)), p90: Double(histogram.valueAtPercentile(90)),
            p99: Double(histogram.valueAtPercentile(99)), p99_9: Double(histogram.valueAtPercentile(99.9)),
            max: Double(histogram.maxRecorded), mean: (histogram.mean * 10).rounded() / 10)
        var concurrency: Int?, rate: Double?, maxInFlight: Int?
        switch configuration.load {
        case .closed(let c): concurrency = c
        case .open(let r, let m): (rate, maxInFlight) = (r, m)
        }
        return BenchResult(
            startedAt: startedAt, command: nil, server: server, tools: configuration.mix.summary, mode: concurrency == nil ? "open" : "closed",
            concurrency: concurrency, rate: rate, maxInFlight: maxInFlight,
            timeoutMs: Double(timeoutNanoseconds) / 1e6, warmupCalls: warmupStarted, calls: measuredStarted, ok: ok, errors: errors,
            elapsedSeconds: elapsed, callsPerSecond: elapsed > 0 ? Double(answered) / elapsed : 0,
            latencyUs: latency, latencyMs: latency.scaled(by: 1_000), lateResponses: lateResponses, unexpectedLines: unexpectedLines,
            completed: failure == nil, failure: failure, comparison: nil,
            errorExamples: errorExamples.isEmpty ? nil : errorExamples)
    }
}

extension [UInt8] {
    /// Appends a non-negative integer's decimal digits, without building a String.
    @inline(__always) mutating func appendDecimal(_ value: Int) {
        var v = UInt(bitPattern: value)
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for any 64-bit number
        Swift.withUnsafeMutableBytes(of: &digits) { buffer in
            var i = buffer.count
            repeat {
                i -= 1
                buffer[i] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
                v /= 10
            } while v > 0
            append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[i...]))
        }
    }
}

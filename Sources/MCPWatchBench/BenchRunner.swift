import Foundation
import MCPWatchCore
import Synchronization

/// Drives MCP `tools/call` load over one stdio connection and measures every call.
///
/// Two threads share the connection. The reader blocks on the server's output, matches answers to calls by id and,
/// in a closed loop, sends the next calls itself at once (see ``RequestWriter`` for why that cannot deadlock). The
/// scheduler — the thread that calls ``runBlocking(requests:responses:progress:)`` — does the handshake, paces the
/// open loop, expires calls past their timeout, ends the phases and prints progress; it sleeps in `ppoll` between
/// those events and is woken by a doorbell only on rare events, never per call.
///
/// A runner runs once. It never closes the descriptors it is given: the caller closes the server's input after the
/// run (a stdio MCP server exits at end of input), and the reader — which reads from a duplicate of the output
/// descriptor that it owns — finishes when the server's output ends.
public final class BenchRunner: Sendable {
    /// What the run does.
    public let configuration: BenchConfiguration
    private let state: Mutex<BenchState>
    private let doorbell: Doorbell
    private let clock = SystemWatchClock()
    private let used = Mutex(false)

    static let readBufferSize = 256 << 10
    static let clientName = "mcpwatch-bench"
    static let protocolVersion = "2025-11-25"
    private static let maxSleepNanoseconds: UInt64 = 250_000_000

    /// Creates a runner.
    /// - Throws: ``WatchError`` with code `io` when it cannot make its wake-up pipe.
    public init(configuration: BenchConfiguration) throws(WatchError) {
        self.configuration = configuration
        self.state = Mutex(BenchState(configuration: configuration))
        self.doorbell = try Doorbell()
    }

    /// Ends the run early, for example because the server process exited; calls still out count as `transport`
    /// errors. Safe from any thread.
    public func abort(_ reason: String) { end(reason, dropOutstanding: false) }

    /// Ends the run early because the user asked (Ctrl-C): the result counts the calls that ended, and the calls
    /// still out neither as calls nor as errors. Safe from any thread.
    public func interrupt(_ reason: String) { end(reason, dropOutstanding: true) }

    private func end(_ reason: String, dropOutstanding: Bool) {
        let now = clock.now().nanoseconds
        state.withLock { $0.fail(reason, at: now, dropOutstanding: dropOutstanding) }
        doorbell.ring()
    }

    /// Runs on a thread of its own, so that the blocking work holds no thread of Swift's concurrency pool.
    /// - Parameters: as ``runBlocking(requests:responses:progress:)``.
    public func run(requests: Int32, responses: Int32, progress: (@Sendable (BenchProgress) -> Void)? = nil) async throws(WatchError) -> BenchResult {
        let outcome: Result<BenchResult, WatchError> = await withCheckedContinuation { continuation in
            let thread = Thread { [self] in
                continuation.resume(returning: Result { () throws(WatchError) -> BenchResult in
                    try runBlocking(requests: requests, responses: responses, progress: progress)
                })
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        return try outcome.get()
    }

    /// Does the MCP handshake, then runs the warmup and the measured phase; returns when the last call is answered,
    /// timed out or lost.
    /// - Parameters:
    ///   - requests: the server's input (its stdin); it is switched to non-blocking mode.
    ///   - responses: the server's output (its stdout).
    ///   - progress: called about once a second from the scheduler thread, or nil.
    /// - Returns: the result; when the connection broke mid-run, a partial one with `completed` false.
    /// - Throws: ``WatchError`` with code `initializeFailed` when the handshake fails, `io` when the descriptors
    ///   cannot be used; `invalidArgument` when the runner was already used.
    public func runBlocking(requests: Int32, responses: Int32, progress: (@Sendable (BenchProgress) -> Void)? = nil) throws(WatchError) -> BenchResult {
        guard used.withLock({ used in defer { used = true }; return !used }) else {
            throw WatchError(.invalidArgument, "a BenchRunner runs once; make a new one")
        }
        // A server that closes its input must show up as a failed write, not kill the generator.
        signal(SIGPIPE, SIG_IGN)
        guard PipeIO.setNonBlocking(requests) else { throw WatchError(.io, "cannot use the server's input: \(PipeIO.errorText())") }
        let readFD = fcntl(responses, F_DUPFD_CLOEXEC, 0)
        guard readFD >= 0 else { throw WatchError(.io, "cannot use the server's output: \(PipeIO.errorText())") }
        let writer = RequestWriter(fd: requests, doorbell: doorbell)
        let reader = Thread { [self] in readLoop(fd: readFD, writer: writer) }
        reader.name = "mcpwatch bench reader"
        reader.stackSize = 1 << 20
        reader.start()

        let startedAt = Date().ISO8601Format()
        let server = try handshake(writer: writer)
        let begin = clock.now().nanoseconds
        var out: [UInt8] = []
        out.reserveCapacity(Self.readBufferSize)
        state.withLock { s in
            s.begin(at: begin)
            if case .closed(let concurrency) = configuration.load {
                for _ in 0..<concurrency where !s.startCall(intended: begin, into: &out) { break }
            }
        }
        send(out, writer: writer)
        schedule(writer: writer, begin: begin, progress: progress)
        return state.withLock { $0.result(startedAt: startedAt, server: server) }
    }

    // MARK: Scheduler

    private func handshake(writer: RequestWriter) throws(WatchError) -> BenchResult.Server {
        let initialize = #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"\#(Self.protocolVersion)","capabilities":{},"clientInfo":{"name":"\#(Self.clientName)","version":"\#(BenchServer.version)"}}}"#
        send(Array((initialize + "\n").utf8), writer: writer)
        let deadline = clock.now().nanoseconds &+ configuration.handshakeTimeout.totalNanoseconds
        while true {
            let (handshake, failure, unexpected) = state.withLock { ($0.handshake, $0.failure, $0.unexpectedLines) }
            switch handshake {
            case .answered(let server)?:
                send(Array("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n".utf8), writer: writer)
                return server
            case .failed(let reason)?:
                abort(reason)
                throw WatchError(.initializeFailed, "the server refused initialize: \(reason)")
            case nil:
                if let failure { throw WatchError(.initializeFailed, "no answer to initialize: \(failure)\(Self.notJSONRPC(unexpected))") }
            }
            let now = clock.now().nanoseconds
            if now >= deadline {
                let reason = "no answer to initialize within \(configuration.handshakeTimeout.shortDescription) (is it an MCP server on stdio?)"
                abort(reason)
                let unexpected = state.withLock { $0.unexpectedLines }
                throw WatchError(.initializeFailed, reason + Self.notJSONRPC(unexpected))
            }
            wait(until: deadline, writer: writer)
        }
    }

    /// What to add to a failed handshake's message when the server printed lines that are not JSON-RPC.
    static func notJSONRPC(_ lines: Int) -> String {
        guard lines > 0 else { return "" }
        return "; it printed \(lines) \(lines == 1 ? "line" : "lines") on stdout that \(lines == 1 ? "is" : "are") not JSON-RPC "
            + "(a stdio MCP server must print only JSON-RPC messages there, and its logs on stderr)"
    }

    private func schedule(writer: RequestWriter, begin: UInt64, progress: (@Sendable (BenchProgress) -> Void)?) {
        if case .open = configuration.load { PipeIO.setPreciseTimers() }
        var out: [UInt8] = []
        out.reserveCapacity(Self.readBufferSize)
        var nextProgress = begin &+ 1_000_000_000
        var lastProgress = (time: begin, answered: 0)
        while true {
            let now = clock.now().nanoseconds
            out.removeAll(keepingCapacity: true)
            let wake: UInt64? = state.withLock { s in
                // Calls first, phases after: calls scheduled before the end of the phase are still due even when
                // this wake-up came after it.
                let expired = s.expire(at: now)
                switch configuration.load {
                case .closed:
                    for _ in 0..<expired where !s.startCall(intended: now, into: &out) { break }
                case .open(let rate, _):
                    s.startScheduledCalls(now: now, rate: rate, into: &out)
                }
                s.pruneDeadlines()
                s.advance(to: now)
                s.phaseChanged = false
                if s.isFinished { return nil }
                var wake = now &+ Self.maxSleepNanoseconds
                if let deadline = s.nextDeadline { wake = min(wake, deadline) }
                if let end = s.phaseDeadline { wake = min(wake, end) }
                if case .open(let rate, _) = configuration.load, s.isSending { wake = min(wake, s.nextScheduled(rate: rate)) }
                if progress != nil { wake = min(wake, nextProgress) }
                return wake
            }
            send(out, writer: writer)
            guard let wake else { return }
            if let progress, now >= nextProgress {
                let report = state.withLock { s in
                    let seconds = Double(now &- lastProgress.time) / 1e9
                    let rate = seconds > 0 ? Double(s.answeredAll - lastProgress.answered) / seconds : 0
                    lastProgress = (now, s.answeredAll)
                    return s.progress(at: now, recentCallsPerSecond: rate)
                }
                progress(report)
                while nextProgress <= now { nextProgress &+= 1_000_000_000 }
            }
            wait(until: wake, writer: writer)
        }
    }

    /// Sleeps until `wake`, the doorbell, or room in the pipe for a backlog (which it then writes).
    private func wait(until wake: UInt64, writer: RequestWriter) {
        let now = clock.now().nanoseconds
        guard wake > now else { return }
        let backlog = writer.hasBacklog
        withUnsafeTemporaryAllocation(of: pollfd.self, capacity: 2) { fds in
            fds[0] = pollfd(fd: doorbell.readFD, events: Int16(POLLIN), revents: 0)
            fds[1] = pollfd(fd: writer.fd, events: Int16(POLLOUT), revents: 0)
            PipeIO.wait(UnsafeMutableBufferPointer(rebasing: fds[0..<(backlog ? 2 : 1)]), timeoutNanoseconds: wake - now)
            if fds[0].revents != 0 { doorbell.drain() }
            if backlog && fds[1].revents != 0 && !writer.flush() { lostInput() }
        }
    }

    private func send(_ bytes: [UInt8], writer: RequestWriter) {
        if !bytes.isEmpty && !writer.send(bytes) { lostInput() }
    }

    private func lostInput() {
        abort("the server closed its input (stdin): it exited or stopped reading")
    }

    // MARK: Reader

    private func readLoop(fd: Int32, writer: RequestWriter) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.readBufferSize, alignment: 16)
        defer {
            buffer.deallocate()
            close(fd)
        }
        var framer = LineFramer(maxLineBytes: 64 << 20)
        var inspector = MessageInspector()
        var batch = ReadBatch()
        var out: [UInt8] = []
        out.reserveCapacity(64 << 10)
        let closedLoop = if case .closed = configuration.load { true } else { false }
        while true {
            let n = PipeIO.read(fd, into: buffer)
            let now = clock.now().nanoseconds
            batch.reset()
            out.removeAll(keepingCapacity: true)
            if n <= 0 {
                let reason = n == 0 ? "the server closed its output (stdout): it exited or crashed" : "cannot read from the server: \(PipeIO.errorText())"
                framer.finish { event in
                    if case .line(let line) = event { batch.take(line, inspector: &inspector, replies: &out) }
                }
                apply(batch, at: now, closedLoop: false, into: &out)
                send(out, writer: writer)
                abort(reason)
                return
            }
            framer.append(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) { event in
                switch event {
                case .line(let line): batch.take(line, inspector: &inspector, replies: &out)
                case .oversized: batch.unexpected += 1
                }
            }
            if apply(batch, at: now, closedLoop: closedLoop, into: &out) { doorbell.ring() }
            send(out, writer: writer)
        }
    }

    /// Records one read's answers and, in a closed loop, starts as many calls as were answered. Returns whether the
    /// scheduler must hear of it (the handshake, or a phase change).
    @discardableResult
    private func apply(_ batch: ReadBatch, at now: UInt64, closedLoop: Bool, into out: inout [UInt8]) -> Bool {
        guard !batch.isEmpty else { return false }
        let sendTime = closedLoop ? clock.now().nanoseconds : now
        return state.withLock { s in
            var answered = 0
            for completion in batch.completions where s.complete(id: completion.id, outcome: completion.outcome, at: now) {
                answered += 1
            }
            s.unexpectedLines += batch.unexpected
            s.note(batch.errorExample)
            var ring = false
            if let handshake = batch.handshake, s.handshake == nil {
                s.handshake = handshake
                ring = true
            }
            if closedLoop {
                for _ in 0..<answered where !s.startCall(intended: sendTime, into: &out) { break }
            }
            s.pruneDeadlines()
            s.advance(to: sendTime)
            if s.phaseChanged {
                s.phaseChanged = false
                ring = true
            }
            return ring
        }
    }
}

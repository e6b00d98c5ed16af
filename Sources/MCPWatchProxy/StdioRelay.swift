import Foundation
import Logging
import MCPWatchCore
import ServiceLifecycle
import Synchronization

/// Relays the MCP stdio transport between our stdin/stdout and a child server, measuring every frame.
///
/// Each direction runs on its own thread doing blocking reads: read a chunk, split it into lines, measure each
/// line, write the complete lines on as one write. Bytes are never re-encoded. The measuring path is two short
/// locks; nothing on this path waits for HTTP readers, disk or the network.
///
/// As a `Service` it runs until the server exits (``serverExit`` then says how); at graceful shutdown it closes the
/// server's input, so that the server answers what it has and exits, and answers whatever is still pending with an
/// error before it returns.
public final class StdioRelay: Service {
    /// How to run the relay.
    public struct Configuration: Sendable {
        /// The server command and its arguments.
        public var command: [String]
        /// Lines longer than this are not relayed.
        public var maxMessageBytes: Int
        /// After the client closes stdin: how long the server has to exit before SIGTERM, and again before SIGKILL.
        public var shutdownGrace: Duration
        /// After the server exits: how long to wait for the rest of its output before answering pending calls.
        public var drainTimeout: Duration
        /// Extra environment for the child (nil: inherit ours unchanged).
        public var environment: [String: String]?
        /// After each read, how long to poll for the next message before blocking (0: block at once).
        public var readSpin: Duration

        /// Creates a configuration.
        public init(command: [String], maxMessageBytes: Int = 64 << 20, shutdownGrace: Duration = .seconds(5),
                    drainTimeout: Duration = .milliseconds(500), environment: [String: String]? = nil,
                    readSpin: Duration = .microseconds(50)) {
            self.command = command
            self.maxMessageBytes = maxMessageBytes
            self.shutdownGrace = shutdownGrace
            self.drainTimeout = drainTimeout
            self.environment = environment
            self.readSpin = readSpin
        }
    }

    /// The configuration in force.
    public let configuration: Configuration
    /// Where measurements go.
    public let recorder: TrafficRecorder
    /// mcpwatch's own requests to the server (the dashboard's explorer), sent on this connection.
    public let injected: InjectedRequests
    /// Traffic control (nil without a `traffic` configuration: then every message is relayed as it comes).
    public let gate: TrafficGate?
    private let logger: Logger
    private let clientInput: Int32
    private let client: OutputChannel
    private let child = Mutex<ChildProcess?>(nil)
    private let exitState = Mutex<ChildExit?>(nil)
    private let relaying = Latch()

    static let readBufferSize = 256 << 10

    /// Creates a relay.
    /// - Parameters:
    ///   - configuration: command and limits.
    ///   - recorder: where to measure.
    ///   - logger: for mcpwatch's own messages (never stdout).
    ///   - clientInput: the client's side, read end (our stdin by default).
    ///   - clientOutput: the client's side, write end (our stdout by default).
    ///   - injected: where mcpwatch's own requests come from (a new one by default).
    ///   - gate: traffic control, when configured.
    public init(configuration: Configuration, recorder: TrafficRecorder, logger: Logger,
                clientInput: Int32 = STDIN_FILENO, clientOutput: Int32 = STDOUT_FILENO, injected: InjectedRequests = InjectedRequests(),
                gate: TrafficGate? = nil) {
        self.configuration = configuration
        self.recorder = recorder
        self.injected = injected
        self.gate = gate
        self.logger = logger
        self.clientInput = clientInput
        self.client = OutputChannel(fd: clientOutput)
    }

    /// The running server process, once started.
    public var process: ChildProcess? { child.withLock { $0 } }

    /// How the server ended, once ``run()`` has returned; mcpwatch exits with its ``ChildExit/shellStatus``.
    public var serverExit: ChildExit? { exitState.withLock { $0 } }

    /// The service: relays until the server exits, and stops the server at graceful shutdown (``stop()``).
    /// - Throws: ``WatchError`` when the server cannot be started.
    public func run() async throws {
        let exit = try await withGracefulShutdownHandler {
            try await runUntilServerExits()
        } onGracefulShutdown: {
            self.stop()
        }
        exitState.withLock { $0 = exit }
    }

    /// Returns once the server has started and both directions are being relayed (at once if the relay has already
    /// ended): mcpwatch's own requests can be sent from then on.
    public func untilRelaying() async { await relaying.wait() }

    /// Ends the session as a client closing its input would: closes the server's input, so that it answers what it
    /// has and exits (SIGTERM, then SIGKILL, if it does not within the grace). Requests still pending then are
    /// answered with an error. Does nothing before the server has started.
    public func stop() {
        guard let process else { return }
        logger.info("stopping the server", metadata: ["pid": "\(process.pid)"])
        beginShutdown(process: process, closeInput: true)
    }

    /// Starts the server and relays until it exits.
    /// - Returns: how the server ended; mcpwatch should exit with its ``ChildExit/shellStatus``.
    /// - Throws: ``WatchError`` when the server cannot be started.
    public func runUntilServerExits() async throws -> ChildExit {
        defer { relaying.open() }
        let process = try ChildProcess.spawn(configuration.command, environment: configuration.environment)
        child.withLock { $0 = process }
        let store = recorder.store
        store.updateSession {
            $0.serverPid = process.pid
            $0.serverAlive = true
        }
        logger.info("started server", metadata: ["pid": "\(process.pid)", "command": "\(configuration.command.joined(separator: " "))"])

        let serverOutputDone = DispatchSemaphore(value: 0)
        let toServer = OutputChannel(fd: process.stdinFD)
        startRelayThread(name: "mcpwatch client->server") { [self] in
            pumpClientToServer(process: process, toServer: toServer)
        }
        startRelayThread(name: "mcpwatch server->client") { [self] in
            pumpServerToClient(process: process, toServer: toServer)
            serverOutputDone.signal()
        }
        // mcpwatch's own requests: measured like the client's (marked as the dashboard's), then written as whole lines
        // between the client's, which the channel never interleaves.
        let recorder = recorder
        injected.attach { line, origin in
            var inspector = MessageInspector()
            _ = line.withUnsafeBytes { recorder.observe(frame: $0, direction: .clientToServer, at: store.clock.now(), inspector: &inspector, origin: origin) }
            return toServer.write(line)
        }
        var timer: TrafficTimer?
        if let gate, gate.needsTimer {
            timer = TrafficTimer(gate: gate, clock: store.clock) { [self] actions in perform(actions, toServer: toServer) }
            timer?.start()
        }
        relaying.open()
        let drain = configuration.drainTimeout
        let exit: ChildExit = await withCheckedContinuation { continuation in
            startRelayThread(name: "mcpwatch wait") {
                let exit = process.waitForExit()
                // The server's last responses may still sit in the pipe: relay them before answering for the rest.
                _ = serverOutputDone.wait(timeout: .now() + .nanoseconds(Int(drain.inNanoseconds)))
                continuation.resume(returning: exit)
            }
        }
        injected.detach()
        timer?.stop()
        var lost = recorder.serverGone(at: store.clock.now())
        // Calls still waiting in the queue never reached the server (nor the recorder): they are answered too.
        if let gate { lost += gate.serverGone().map(\.id) }
        for id in lost {
            _ = client.write(JSONRPCErrorResponse.line(
                id: id, code: JSONRPCErrorCode.serverExited, message: "MCP server \(exit) before answering this request"))
        }
        store.updateSession {
            $0.serverAlive = false
            $0.serverExit = exit.description
        }
        let level: Logger.Level = exit == .exited(0) ? .info : .warning
        logger.log(level: level, "server \(exit)", metadata: ["pid": "\(process.pid)", "answered_lost_requests": "\(lost.count)"])
        return exit
    }

    /// Forwards a signal to the server (SIGINT/SIGTERM to mcpwatch), then makes sure it ends.
    public func forward(signal: Int32) {
        guard let process else { return }
        logger.info("forwarding signal \(signal) to the server", metadata: ["pid": "\(process.pid)"])
        process.signal(signal)
        beginShutdown(process: process, closeInput: false)
    }

    private func pumpClientToServer(process: ChildProcess, toServer: OutputChannel) {
        pump(from: clientInput, direction: .clientToServer, forward: toServer, replies: client) { n in
            logger.info(n == 0 ? "client closed its input; stopping the server" : "cannot read from the client: \(errnoText())")
            beginShutdown(process: process, closeInput: true)
        } onForwardFailure: {
            if process.exit == nil { logger.warning("the server closed its input; requests are no longer delivered") }
        }
    }

    private func pumpServerToClient(process: ChildProcess, toServer: OutputChannel) {
        pump(from: process.stdoutFD, direction: .serverToClient, forward: client, replies: toServer) { _ in
            close(process.stdoutFD)
        } onForwardFailure: {
            // Keep draining the server so it never blocks on a full pipe, but stop it: nobody is listening.
            beginShutdown(process: process, closeInput: true)
        }
    }

    /// One direction of the relay: read a chunk, measure each complete line, forward the lines in one write.
    /// - Parameters:
    ///   - input: where the sender writes.
    ///   - forward: the receiver.
    ///   - replies: the sender's other end, for answering a request that was too large to relay.
    ///   - onEnd: called with the last read's result (0 at end of input, -1 on error), after the last line.
    ///   - onForwardFailure: called when the receiver has gone away.
    private func pump(
        from input: Int32, direction: Direction, forward: OutputChannel, replies: OutputChannel,
        onEnd: (Int) -> Void, onForwardFailure: () -> Void
    ) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.readBufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var framer = LineFramer(maxLineBytes: configuration.maxMessageBytes)
        var inspector = MessageInspector()
        var out: [UInt8] = []
        out.reserveCapacity(Self.readBufferSize)
        let clock = recorder.store.clock
        let gate = self.gate
        while true {
            Self.spinUntilReadable(input, limit: configuration.readSpin)
            let n = FileDescriptorIO.read(input, into: buffer)
            if n <= 0 {
                framer.finish { event in
                    if case .line(let line) = event, let gate {
                        var rest: [UInt8] = []
                        gated(line, direction: direction, gate: gate, now: clock.now(), inspector: &inspector, out: &rest,
                              forward: forward, replies: replies)
                        if !rest.isEmpty { forward.write(rest) }
                    } else if case .line(let line) = event {
                        let id = recorder.observe(frame: line, direction: direction, at: clock.now(), inspector: &inspector)
                        if direction == .serverToClient && injected.claim(id, line: line) { return }
                        forward.write(line)
                    }
                }
                onEnd(n)
                return
            }
            let now = clock.now()
            out.removeAll(keepingCapacity: true)
            framer.append(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) { event in
                switch event {
                case .line(let line) where gate != nil:
                    gated(line, direction: direction, gate: gate!, now: now, inspector: &inspector, out: &out, forward: forward, replies: replies)
                case .line(let line):
                    let id = recorder.observe(frame: line, direction: direction, at: now, inspector: &inspector)
                    // The answers to mcpwatch's own requests stay here: the client never asked for them.
                    if direction == .serverToClient && injected.claim(id, line: line) { return }
                    // otel.propagate: mcpwatch's span context in params._meta.traceparent, the rest unchanged.
                    if direction == .clientToServer, let traced = recorder.propagatingTrace(line) { out.append(contentsOf: traced); return }
                    out.append(contentsOf: line)
                case .oversized(let prefix, let length):
                    switch recorder.observeOversized(
                        prefix: prefix, length: length, limit: configuration.maxMessageBytes, direction: direction, at: now,
                        inspector: &inspector)
                    {
                    case .rejectRequest(let id, let message):
                        replies.write(JSONRPCErrorResponse.line(id: id, code: JSONRPCErrorCode.invalidRequest, message: message))
                    case .failPendingRequest(let id, let message):
                        out.append(contentsOf: JSONRPCErrorResponse.line(id: id, code: JSONRPCErrorCode.responseTooLarge, message: message))
                    case .drop:
                        break
                    }
                    logger.warning("dropped an oversized message", metadata: ["bytes": "\(length)", "direction": "\(direction.rawValue)"])
                }
            }
            if !out.isEmpty && !forward.write(out) { onForwardFailure() }
        }
    }

    /// One message through traffic control. From the client: measured and relayed only if the gate lets it go now
    /// (a held call is measured when it is released, an answer mcpwatch gives is never measured as the server's).
    /// From the server: measured as ever, then the gate may drop it (a late answer) and release queued calls.
    private func gated(
        _ line: UnsafeRawBufferPointer, direction: Direction, gate: TrafficGate, now: MonotonicInstant,
        inspector: inout MessageInspector, out: inout [UInt8], forward: OutputChannel, replies: OutputChannel
    ) {
        if direction == .clientToServer {
            let inspected = inspector.inspect(TrafficRecorder.trimmingLineEnd(line))
            let (disposition, actions) = gate.fromClient(frame: line, inspected: inspected, caller: .stdio, now: now)
            switch disposition {
            case .forward:
                recorder.observe(frame: line, inspected: inspected, direction: .clientToServer, at: now)
                out.append(contentsOf: line)
            case .hold, .drop:
                break
            case .answer(let bytes):
                replies.write(bytes)
            }
            if !actions.isEmpty { perform(actions, toServer: forward) }
        } else {
            let inspected = recorder.observeInspecting(frame: line, direction: .serverToClient, at: now, inspector: &inspector)
            if case .message(let info) = inspected, info.kind == .result || info.kind == .error, injected.claim(info.id, line: line) { return }
            let (relay, actions) = gate.fromServer(frame: line, inspected: inspected, session: nil, now: now)
            if !actions.isEmpty { perform(actions, toServer: replies) }
            if relay { out.append(contentsOf: line) }
        }
    }

    /// Writes what the gate asks: released calls and cancellations to the server (measured as they go), and
    /// mcpwatch's own answers to the client.
    private func perform(_ actions: TrafficGate.Actions, toServer: OutputChannel) {
        let now = recorder.store.clock.now()
        for write in actions.toServer {
            write.frame.withUnsafeBytes { recorder.observe(frame: $0, inspected: write.inspected, direction: .clientToServer, at: now) }
            toServer.write(write.frame)
        }
        for answer in actions.toClients { client.write(answer.bytes) }
    }

    /// Closes the server's input (if asked) and escalates to SIGTERM, then SIGKILL, if it does not exit in time.
    private func beginShutdown(process: ChildProcess, closeInput: Bool) {
        if closeInput { process.closeStdin() }
        process.ensureExit(grace: configuration.shutdownGrace, logger: logger)
    }

    /// Polls, without sleeping, until `fd` has data or `limit` has passed, so that the blocking read after it does not
    /// wait for the scheduler to wake this thread: on an idle core that wake-up costs more than relaying the message.
    /// Bounded, and only right after a read: an idle relay stops spinning within `limit` and blocks.
    static func spinUntilReadable(_ fd: Int32, limit: Duration) {
        let nanos = UInt64(max(0, limit.inNanoseconds))
        guard nanos > 0 else { return }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let start = DispatchTime.now().uptimeNanoseconds
        repeat {
            if poll(&descriptor, 1, 0) != 0 { return }
            // Hand the core to whoever is runnable (on a small machine, the client or the server that is about to
            // write): spinning without yielding kept them off it and cost a third of the throughput at concurrency 16.
            sched_yield()
        } while DispatchTime.now().uptimeNanoseconds - start < nanos
    }
}

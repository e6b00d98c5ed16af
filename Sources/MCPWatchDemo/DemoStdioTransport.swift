import Foundation
import Logging
import MCP
import Synchronization

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The demo server's stdio transport: newline-delimited JSON-RPC on stdin and stdout, like the SDK's `StdioTransport`, with
/// two differences the demo needs.
///
/// - Each message is written whole, one after the other. The SDK's transport (0.12.1) makes stdout non-blocking and, when
///   the pipe is full, sleeps inside its actor between partial writes; another response's `send` runs in that gap, so
///   concurrent large results interleave on stdout and the client reads invalid JSON lines. Here one serial writer owns
///   stdout: blocking writes, looping on partial writes and `EINTR` (and waiting with `poll` on `EAGAIN`, should stdout be
///   non-blocking after all). `send` returns when its message has been written.
/// - End of input does not lose answers. The transport keeps the ids of the requests it has handed to the server and not
///   yet answered, so that the server can let the calls in flight finish and their answers be written before it exits
///   (`finish(within:)`).
///
/// The descriptors are left in the mode they came in (the SDK's transport sets `O_NONBLOCK`, which a parent sharing the
/// terminal or pipe would see too).
actor DemoStdioTransport: Transport {
    nonisolated let logger: Logger
    private let input: Int32
    private let output: Int32
    private let ledger = Ledger()
    /// Owns `output`: one message at a time, in the order `send` was called.
    private let writer = DispatchQueue(label: "mcpwatch.demo-server.stdout")
    private let messages: AsyncThrowingStream<Data, Swift.Error>
    private let messagesContinuation: AsyncThrowingStream<Data, Swift.Error>.Continuation
    private var isConnected = false

    init(input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO, logger: Logger? = nil) {
        self.input = input
        self.output = output
        self.logger = logger ?? Logger(label: "mcpwatch.demo-server.stdio", factory: { _ in SwiftLogNoOpLogHandler() })
        (messages, messagesContinuation) = AsyncThrowingStream.makeStream()
    }

    func connect() async throws {
        guard !isConnected else { return }
        isConnected = true
        // Reading blocks, so it gets a thread of its own rather than one of the concurrency pool's few.
        let thread = Thread { [input, ledger, messagesContinuation, logger] in
            Self.readLines(from: input, ledger: ledger, into: messagesContinuation, logger: logger)
        }
        thread.name = "mcpwatch.demo-server.stdin"
        thread.start()
    }

    func disconnect() async {
        guard isConnected else { return }
        isConnected = false
        messagesContinuation.finish()
    }

    func receive() -> AsyncThrowingStream<Data, Swift.Error> { messages }

    /// Writes `message` and a newline to stdout, whole and after every message sent before it.
    func send(_ message: Data) async throws {
        guard isConnected else { throw MCPError.connectionClosed }
        var line = message
        line.append(UInt8(ascii: "\n"))
        ledger.willWrite()
        // Queued before the first suspension, so the order of the calls is the order on stdout.
        try await withCheckedThrowingContinuation { (written: CheckedContinuation<Void, Swift.Error>) in
            writer.async { [output, ledger, line] in
                let result = Self.writeAll(line, to: output)
                // Answered even if the write failed: there is nobody left to wait for.
                ledger.didWrite(answering: Self.answeredIDs(in: message))
                written.resume(with: result)
            }
        }
    }

    /// After end of input: waits until every request received has been answered and every answer written, or until
    /// `timeout` has passed. Returns whether everything was written.
    @discardableResult
    nonisolated func finish(within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !ledger.isSettled {
            guard ContinuousClock.now < deadline else {
                logger.warning("end of input: answers still unwritten after \(timeout), exiting anyway")
                return false
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    // MARK: - Reading

    private static func readLines(
        from fd: Int32, ledger: Ledger, into continuation: AsyncThrowingStream<Data, Swift.Error>.Continuation, logger: Logger
    ) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var pending: [UInt8] = []
        var scanned = 0  // pending[..<scanned] holds no newline
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                pending.append(contentsOf: buffer[..<count])
                var start = 0
                while let newline = pending[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
                    if newline > start {
                        let message = Data(pending[start..<newline])
                        ledger.didReceive(message)  // before the server can answer it
                        continuation.yield(message)
                    }
                    start = newline + 1
                    scanned = start
                }
                pending.removeFirst(start)
                scanned = pending.count
            } else if count == 0 {
                break
            } else {
                let error = errno
                if error == EINTR { continue }
                if error == EAGAIN || error == EWOULDBLOCK {  // stdin was non-blocking already
                    waitUntilReady(fd, for: Int16(POLLIN))
                    continue
                }
                logger.error("reading stdin failed: \(String(cString: strerror(error)))")
                break
            }
        }
        continuation.finish()
    }

    // MARK: - Writing

    private static func writeAll(_ data: Data, to fd: Int32) -> Result<Void, Swift.Error> {
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let count = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if count >= 0 {
                    offset += count
                    continue
                }
                let error = errno
                switch error {
                case EINTR: continue
                case EAGAIN, EWOULDBLOCK: waitUntilReady(fd, for: Int16(POLLOUT))  // stdout was non-blocking already
                default: return .failure(MCPError.transportError(POSIXError(POSIXErrorCode(rawValue: error) ?? .EIO)))
                }
            }
            return .success(())
        }
    }

    private static func waitUntilReady(_ fd: Int32, for events: Int16) {
        var descriptor = pollfd(fd: fd, events: events, revents: 0)
        _ = poll(&descriptor, 1, -1)
    }

    // MARK: - Requests in flight

    /// The ids in a response, or in a batch of responses (a message with an id and no method).
    static func answeredIDs(in message: Data) -> [ID] {
        envelopes(in: message).compactMap { $0.method == nil ? $0.id : nil }
    }

    static func envelopes(in message: Data) -> [Envelope] {
        let decoder = JSONDecoder()
        let isWhitespace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        if message.first(where: { !isWhitespace($0) }) == UInt8(ascii: "[") {
            return (try? decoder.decode([Envelope].self, from: message)) ?? []
        }
        return (try? decoder.decode(Envelope.self, from: message)).map { [$0] } ?? []
    }

    /// What the transport needs to know of a JSON-RPC message; the rest is the server's business.
    struct Envelope: Decodable {
        var id: ID?
        var method: String?
        /// `notifications/cancelled`'s request: the server will not answer it.
        var cancelled: ID?

        private enum Keys: String, CodingKey { case id, method, params }
        private enum CancelledKeys: String, CodingKey { case requestId }

        init(from decoder: any Decoder) throws {
            let message = try decoder.container(keyedBy: Keys.self)
            id = try? message.decodeIfPresent(ID.self, forKey: .id)
            method = try? message.decodeIfPresent(String.self, forKey: .method)
            if method == CancelledNotification.name {
                cancelled = try? message.nestedContainer(keyedBy: CancelledKeys.self, forKey: .params)
                    .decodeIfPresent(ID.self, forKey: .requestId)
            }
        }
    }

    /// Requests received and not yet answered, and answers not yet written.
    final class Ledger: Sendable {
        private struct State {
            var unanswered: Set<ID> = []
            var unwritten = 0
        }
        private let state = Mutex(State())

        var isSettled: Bool { state.withLock { $0.unanswered.isEmpty && $0.unwritten == 0 } }

        func didReceive(_ message: Data) {
            let envelopes = DemoStdioTransport.envelopes(in: message)
            state.withLock { state in
                for envelope in envelopes {
                    if envelope.method != nil, let id = envelope.id { state.unanswered.insert(id) }
                    if let id = envelope.cancelled { state.unanswered.remove(id) }
                }
            }
        }

        func willWrite() { state.withLock { $0.unwritten += 1 } }

        func didWrite(answering ids: [ID]) {
            state.withLock { state in
                state.unwritten -= 1
                for id in ids { state.unanswered.remove(id) }
            }
        }
    }
}

import Logging
import ServiceLifecycle

/// An HTTP transport (reverse proxy, bridge, stdio front) in a command's `ServiceGroup`, through what it offers
/// today: a `run` that serves until it is stopped, an optional `stop` that makes it end its session, and a `close`
/// for its connections afterwards.
///
/// At graceful shutdown it calls `stop` (the stdio front ends its session) while `run`'s Hummingbird server, which
/// inherits the graceful shutdown, stops accepting and answers the requests in progress; if that takes longer than
/// `drainLimit` (a stream left open, a server that never answers), `run` is cancelled. Then `close`.
///
/// The transports are to become services of their own (taking their event loop group in their init); this adapter
/// is then replaced by them, in the same place of the group.
struct EndpointService: Service {
    let name: String
    let drainLimit: Duration
    let logger: Logger
    let body: @Sendable () async throws -> Void
    let stop: @Sendable () -> Void
    let close: @Sendable () async -> Void

    init(_ name: String, drainLimit: Duration, logger: Logger, run: @escaping @Sendable () async throws -> Void,
         stop: @escaping @Sendable () -> Void = {}, close: @escaping @Sendable () async -> Void = {}) {
        self.name = name
        self.drainLimit = drainLimit
        self.logger = logger
        self.body = run
        self.stop = stop
        self.close = close
    }

    func run() async throws {
        let (body, stop, limit, logger, name) = (body, stop, drainLimit, logger, name)
        do {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    try await withGracefulShutdownHandler {
                        try await body()
                    } onGracefulShutdown: {
                        logger.info("stopping the \(name): answering what is pending")
                        stop()
                    }
                    return true
                }
                group.addTask {
                    // Bounds the drain; ends at once (CancellationError) when the run ends first.
                    try await gracefulShutdown()
                    try await Task.sleep(for: limit)
                    logger.warning("the \(name) did not drain within \(limit); closing what is left")
                    return false
                }
                _ = try await group.next()
                group.cancelAll()
            }
        } catch {
            await close()
            throw error
        }
        await close()
    }
}

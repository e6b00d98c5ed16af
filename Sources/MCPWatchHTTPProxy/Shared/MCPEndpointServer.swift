import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Serves an MCP endpoint (the reverse proxy's, the bridge's) with Hummingbird: the one start-up both share, and
/// their graceful shutdown.
///
/// On graceful shutdown the server stops accepting connections and lets the requests under way finish (a POST gets
/// its answer); `draining` runs at that moment so that the transport can refuse new work and end what never ends by
/// itself (a session's GET stream). Requests still running `grace` later (a long SSE stream) are cut off. Without a
/// `ServiceGroup` around it, cancellation stops everything at once, as before.
struct MCPEndpointServer: Sendable {
    /// Where to serve.
    var host: String
    /// Port to serve on (0: any free port).
    var port: Int
    /// The loops that serve connections.
    var eventLoopGroup: any EventLoopGroup
    var logger: Logger

    private enum Part: Sendable {
        case server, alongside, graceOver
    }

    /// Serves `responder` until the server ends (graceful shutdown, cancellation, or an error such as a port in use).
    /// - Parameters:
    ///   - grace: after graceful shutdown begins, how long requests may still run.
    ///   - onRunning: called with the bound port once listening.
    ///   - alongside: work that lives as long as the server (cancelled when it ends).
    ///   - draining: called once graceful shutdown begins.
    /// - Throws: when the server cannot be served.
    func run<Responder: HTTPResponder>(
        _ responder: Responder, grace: Duration, onRunning: @escaping @Sendable (Int) async -> Void,
        alongside: [@Sendable () async -> Void] = [], draining: @escaping @Sendable () async -> Void = {}
    ) async throws where Responder.Context == BasicRequestContext {
        // Hummingbird logs every connection error; the transports log what matters themselves.
        var quiet = logger
        quiet.logLevel = .critical
        let app = Application(
            responder: responder,
            configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: quiet)
        try await withThrowingTaskGroup(of: Part.self) { group in
            // The application's own service group follows this task's graceful shutdown (it is inherited).
            group.addTask {
                try await app.run()
                return .server
            }
            for work in alongside {
                group.addTask {
                    await work()
                    return .alongside
                }
            }
            group.addTask {
                do { try await gracefulShutdown() } catch { return .alongside }  // cancelled: ending anyway
                await draining()
                do { try await Task.sleep(for: grace) } catch { return .alongside }
                return .graceOver
            }
            while let part = try await group.next() {
                if case .alongside = part { continue }
                break
            }
            group.cancelAll()
        }
    }
}

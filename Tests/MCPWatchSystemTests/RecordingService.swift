import ServiceLifecycle
import Synchronization

/// What a ``RecordingService`` went through, in the order the services went through it.
enum ServiceEvent: Equatable, Sendable {
    case started(String)
    case shutdownRequested(String)
    case finished(String)
}

/// A service that reports its life through one shared `AsyncStream` instead of sleeping (after service-lifecycle's
/// `MockService`): it starts, waits for graceful shutdown, runs its `onShutdown` work and returns. It can also be
/// made to end or fail by itself, as a relay whose server exits or a server whose port is taken.
final class RecordingService: Service, CustomStringConvertible {
    let name: String
    private let events: AsyncStream<ServiceEvent>.Continuation
    private let onShutdown: @Sendable () -> Void
    private let endings: AsyncStream<Result<Void, Failure>>
    private let endContinuation: AsyncStream<Result<Void, Failure>>.Continuation

    struct Failure: Error, Equatable {
        let name: String
    }

    var description: String { name }

    init(_ name: String, events: AsyncStream<ServiceEvent>.Continuation, onShutdown: @escaping @Sendable () -> Void = {}) {
        self.name = name
        self.events = events
        self.onShutdown = onShutdown
        (endings, endContinuation) = AsyncStream.makeStream()
    }

    /// Makes ``run()`` return by itself (a relay whose server exited).
    func end() { endContinuation.yield(.success(())) }

    /// Makes ``run()`` throw by itself (a port that is taken).
    func fail() { endContinuation.yield(.failure(Failure(name: name))) }

    func run() async throws {
        events.yield(.started(name))
        let (endings, events, name, onShutdown) = (endings, events, name, onShutdown)
        let ending: Result<Void, Failure>? = await withTaskGroup(of: Result<Void, Failure>?.self) { group in
            group.addTask {
                for await ending in endings { return ending }
                return nil
            }
            group.addTask {
                do { try await gracefulShutdown() } catch { return nil }
                events.yield(.shutdownRequested(name))
                onShutdown()
                return .success(())
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            endContinuation.finish()
            return first
        }
        events.yield(.finished(name))
        try ending?.get()
    }
}

/// Keeps trying to serve the well-known address: whoever holds it is the fleet's front door, and when that process
/// exits, one of the others that keep trying takes it over within an interval.
///
/// Time is injected (`sleep`), so the loop is tested without waiting.
public struct FrontDoorRetry: Sendable {
    /// Time between attempts.
    public var interval: Duration
    /// Waits; throws when the task is cancelled.
    public var sleep: @Sendable (Duration) async throws -> Void

    /// A loop that tries every `interval` (one second by default, so a takeover comes within a few seconds).
    public init(interval: Duration = .seconds(1),
                sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }) {
        self.interval = interval
        self.sleep = sleep
    }

    /// Runs `serve` until it returns (a graceful end) or the task is cancelled; each time it throws (the address is
    /// taken), calls `failed` with the attempt's number (1 for the first) and tries again after ``interval``.
    public func run(serve: () async throws -> Void, failed: (_ attempt: Int, _ error: any Error) -> Void) async {
        var attempt = 0
        while !Task.isCancelled {
            attempt += 1
            do {
                try await serve()
                return
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                failed(attempt, error)
            }
            do { try await sleep(interval) } catch { return }
        }
    }
}

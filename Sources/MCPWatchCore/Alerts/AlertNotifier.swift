import Foundation
import Synchronization

/// Something that tells people about alert transitions: the log, a webhook, a command, or your own.
///
/// Implement it to embed mcpwatch's core in a program and receive every transition; register it with an
/// ``AlertDispatcher``. `notify` may take its time and throw: each notifier has its own queue, so a slow or
/// failing one never delays evaluation, the relay or the other notifiers, and its failures are counted.
public protocol AlertNotifier: Sendable {
    /// A short name for logs and failure counts: `log`, `webhook https://...`, `command notify.sh`.
    var name: String { get }
    /// Which transitions it receives; by default those that tell people something: firing, escalated,
    /// de-escalated and resolved (not pending or cancelled, which never reached anyone).
    var kinds: Set<AlertEvent.Kind> { get }
    /// Delivers one transition; throws when it could not.
    func notify(_ event: AlertEvent) async throws
}

extension AlertNotifier {
    public var kinds: Set<AlertEvent.Kind> { AlertDispatcher.notifiedKinds }
}

/// Hands each transition of an ``AlertEngine`` to every notifier through its own bounded queue.
public final class AlertDispatcher: Sendable {
    /// The transitions notifiers receive unless they ask otherwise.
    public static let notifiedKinds: Set<AlertEvent.Kind> = [.firing, .escalated, .deescalated, .resolved]

    /// Transitions waiting per notifier before the oldest are dropped (and counted as failures).
    public let queueLimit: Int
    private let engine: AlertEngine
    private let queues: [(notifier: any AlertNotifier, kinds: Set<AlertEvent.Kind>, stream: AsyncStream<AlertEvent>,
                          continuation: AsyncStream<AlertEvent>.Continuation)]
    private let delivered = Mutex<[String: UInt64]>([:])
    private let token: UInt64

    /// Creates a dispatcher listening to `engine`; nothing is delivered until ``run()``.
    public init(engine: AlertEngine, notifiers: [any AlertNotifier], queueLimit: Int = 1_000) {
        self.engine = engine
        self.queueLimit = queueLimit
        let queues = notifiers.map { notifier in
            let (stream, continuation) = AsyncStream<AlertEvent>.makeStream(bufferingPolicy: .bufferingNewest(max(1, queueLimit)))
            return (notifier: notifier, kinds: notifier.kinds, stream: stream, continuation: continuation)
        }
        self.queues = queues
        token = engine.addListener { event in
            for queue in queues where queue.kinds.contains(event.kind) {
                if case .dropped = queue.continuation.yield(event) {
                    engine.recordNotifierFailure(queue.notifier.name)
                }
            }
        }
    }

    deinit { engine.removeListener(token) }

    /// How many transitions each notifier delivered.
    public var deliveries: [String: UInt64] { delivered.withLock { $0 } }

    /// Delivers until cancelled, each notifier on its own task (an `AsyncStream` iteration ends on cancellation).
    public func run() async {
        await withDiscardingTaskGroup { group in
            for queue in queues {
                group.addTask {
                    for await event in queue.stream {
                        do {
                            try await queue.notifier.notify(event)
                            self.delivered.withLock { $0[queue.notifier.name, default: 0] += 1 }
                        } catch {
                            self.engine.recordNotifierFailure(queue.notifier.name)
                        }
                    }
                }
            }
        }
    }
}

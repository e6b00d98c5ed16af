import Logging
import ServiceLifecycle
import UnixSignals

/// The stdio relay's signal handling, as a service beside it: SIGINT, SIGTERM and SIGHUP to mcpwatch go to the
/// server's process group (``StdioRelay/forward(signal:)``), which then ends, and with it the relay and the group.
/// mcpwatch itself is not stopped by them: the server's exit is what ends the run, so its status is mcpwatch's.
public struct ServerSignalForwarder: Service {
    /// The signals forwarded.
    public static let forwarded: [UnixSignal] = [.sigint, .sigterm, .sighup]

    private let signals: UnixSignalsSequence
    private let relay: StdioRelay

    /// Traps the signals now (before the server starts, so that none can end mcpwatch the default way) and forwards
    /// them to `relay` once running.
    public init(relay: StdioRelay) async {
        self.relay = relay
        signals = await UnixSignalsSequence(trapping: Self.forwarded)
    }

    /// Forwards signals until graceful shutdown (which comes once the relay has ended).
    public func run() async throws {
        for await signal in signals.cancelOnGracefulShutdown() {
            relay.forward(signal: signal.rawValue)
        }
    }
}

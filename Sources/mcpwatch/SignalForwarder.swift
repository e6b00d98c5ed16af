import Dispatch
import Foundation

/// Turns signals into calls, instead of letting them kill mcpwatch (`bench`; the proxy modes and `demo` get theirs
/// from their `ServiceGroup`).
final class SignalForwarder {
    private let sources: [any DispatchSourceSignal]

    init(signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { handler(number) }
            source.resume()
            return source
        }
    }

    func cancel() { sources.forEach { $0.cancel() } }
}

import Foundation

/// Reads the few top-level fields of a JSON-RPC frame that measuring needs, without building an object tree.
///
/// It validates the whole frame as JSON (so that junk is counted) in one pass that skips over values it does not
/// need: a 50 MB tool result is scanned once and never decoded or copied. Strings are checked for valid UTF-8.
/// Only short strings (method, tool name, URI, error message) are ever materialised, truncated to
/// ``maxTextBytes``.
public struct MessageInspector: Sendable {
    /// The longest method, name, URI or message kept, in bytes; longer ones are truncated.
    public static let maxTextBytes = 256
    /// Containers nested deeper than this make a frame invalid; it bounds the scanner's memory.
    public static let maxDepth = 4_096

    /// Reused between frames so that steady-state inspection allocates nothing for nesting.
    private var stack: [UInt8] = []

    /// Creates an inspector. Keep one per direction: it is cheap, but reusing it saves allocations.
    public init() { stack.reserveCapacity(32) }

    /// Inspects one frame (a line without its newline).
    /// - Parameters:
    ///   - bytes: the frame.
    ///   - truncated: the frame is only the start of a longer message (an oversized line): report what was found
    ///     before the end instead of calling it invalid.
    public mutating func inspect(_ bytes: UnsafeRawBufferPointer, truncated: Bool = false) -> InspectedFrame {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count > 0 else { return .empty }
        var scanner = JSONScanner(base: base, count: bytes.count)
        scanner.skipWhitespace()
        guard scanner.position < scanner.count else { return .empty }
        stack.removeAll(keepingCapacity: true)
        let first = scanner.peek()
        if first == UInt8(ascii: "{") {
            var info = MessageInfo()
            do {
                try scanner.parseMessage(into: &info, stack: &stack)
                try scanner.expectEnd()
                return .message(info)
            } catch {
                if truncated && error == .endOfInput { return .message(info) }
                return .invalid(error.anomaly)
            }
        }
        if first == UInt8(ascii: "[") {
            var messages: [MessageInfo] = []
            do {
                try scanner.parseBatch(into: &messages, stack: &stack)
                try scanner.expectEnd()
                return messages.isEmpty ? .invalid(.emptyBatch) : .batch(messages)
            } catch {
                if truncated && error == .endOfInput { return .batch(messages) }
                return .invalid(error.anomaly)
            }
        }
        do {
            try scanner.skipValue(stack: &stack)
            try scanner.expectEnd()
            return .invalid(.notObjectOrBatch)
        } catch {
            return .invalid(error.anomaly)
        }
    }

    /// Inspects one frame held in an array.
    public mutating func inspect(_ bytes: [UInt8], truncated: Bool = false) -> InspectedFrame {
        bytes.withUnsafeBytes { inspect($0, truncated: truncated) }
    }

    /// Inspects one frame held in a string (for tests and tools; the relay works on bytes).
    public mutating func inspect(_ text: String) -> InspectedFrame {
        var text = text
        return text.withUTF8 { inspect(UnsafeRawBufferPointer($0)) }
    }
}

import MCPWatchCore

/// What the stdio front needs to know about a message before POSTing it: which requests it carries (to answer
/// them if the upstream does not) and whether it starts or completes the initialization.
public struct PostedMessage: Sendable, Equatable {
    /// The ids of the requests in it (one for a request, several for a batch, none for a notification or response).
    public var requestIDs: [MCPWatchCore.RequestID]
    /// The method of a single message (nil for a batch or a response).
    public var method: String?

    /// Whether it is the `initialize` request, whose answer names the session and the protocol version.
    public var isInitialize: Bool { method == "initialize" && requestIDs.count == 1 }

    /// Reads the top-level fields of a message or batch (never the whole tree).
    public init(inspecting frame: UnsafeRawBufferPointer, inspector: inout MessageInspector) {
        switch inspector.inspect(TrafficRecorderFrame.trimmed(frame)) {
        case .message(let info):
            requestIDs = info.kind == .request ? info.id.map { [$0] } ?? [] : []
            method = info.method
        case .batch(let infos):
            requestIDs = infos.compactMap { $0.kind == .request ? $0.id : nil }
            method = nil
        default:
            requestIDs = []
            method = nil
        }
    }

    /// Convenience for byte arrays.
    public init(inspecting frame: [UInt8]) {
        var inspector = MessageInspector()
        self = frame.withUnsafeBytes { PostedMessage(inspecting: $0, inspector: &inspector) }
    }
}

/// Line-end trimming as the recorder does it.
enum TrafficRecorderFrame {
    static func trimmed(_ frame: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var n = frame.count
        while n > 0 && (frame[n - 1] == 0x0A || frame[n - 1] == 0x0D) { n -= 1 }
        return UnsafeRawBufferPointer(rebasing: frame[0..<n])
    }
}

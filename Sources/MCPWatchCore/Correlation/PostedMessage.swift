/// What a transport needs to know about a message it sends on: which requests it carries (to answer them if the
/// peer does not) and its method. ``TrafficRecorder/observeOutgoing(frame:direction:at:inspector:)`` gives it from
/// the same inspection that measures the frame.
public struct PostedMessage: Sendable, Equatable {
    /// The ids of the requests in it (one for a request, several for a batch, none for a notification or response).
    public var requestIDs: [RequestID]
    /// The method of a single message (nil for a batch or a response).
    public var method: String?
    /// The tool or prompt name, or the resource URI, of a single message (what `Mcp-Name` must repeat).
    public var target: String?

    /// Whether it is the `initialize` request, whose answer names the session and the protocol version.
    public var isInitialize: Bool { method == "initialize" && requestIDs.count == 1 }

    /// Creates a description (for tests and transports that read the fields themselves).
    public init(requestIDs: [RequestID], method: String?, target: String? = nil) {
        self.requestIDs = requestIDs
        self.method = method
        self.target = target
    }

    init(_ frame: InspectedFrame) {
        switch frame {
        case .message(let info):
            requestIDs = info.kind == .request ? info.id.map { [$0] } ?? [] : []
            method = info.method
            target = info.target
        case .batch(let infos):
            requestIDs = infos.compactMap { $0.kind == .request ? $0.id : nil }
            method = nil
        default:
            requestIDs = []
            method = nil
        }
    }

    /// Reads the top-level fields of a message or batch, with or without its line end (never the whole tree), without
    /// measuring it.
    public init(inspecting frame: [UInt8]) {
        var inspector = MessageInspector()
        self = frame.withUnsafeBytes { PostedMessage(inspector.inspect(TrafficRecorder.trimmingLineEnd($0))) }
    }
}

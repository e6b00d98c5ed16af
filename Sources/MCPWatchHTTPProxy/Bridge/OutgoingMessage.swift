import MCPWatchCore

/// One client message of a POST, read once for the bridge: what routing and id rewriting need, found without
/// decoding (``JSONValueLocator``). Ranges are relative to the message.
struct OutgoingMessage {
    /// Where the message sits in the POST's body.
    let range: Range<Int>
    /// The id's raw JSON, when it has one.
    let idRange: Range<Int>?
    /// The method, when it has one.
    let method: String?
    /// A request's `params._meta.progressToken`.
    let progressTokenRange: Range<Int>?
    /// A `notifications/cancelled`'s `params.requestId`.
    let cancelledIDRange: Range<Int>?

    /// Reads the message at `range` of `body`.
    init(in body: UnsafeRawBufferPointer, range: Range<Int>) {
        let message = UnsafeRawBufferPointer(rebasing: body[range])
        self.range = range
        let fields = JSONValueLocator.idAndMethod(in: message)
        idRange = fields?.id
        method = fields?.method.map { range in
            var text = message[range]
            if text.first == UInt8(ascii: "\""), text.count >= 2 { text = text.dropFirst().dropLast() }
            return String(decoding: text, as: UTF8.self)
        }
        progressTokenRange = idRange != nil && method != nil && BridgeSession.mentions(Self.tokenKey, in: message)
            ? JSONValueLocator.range(of: BridgeSession.requestTokenPath, in: message) : nil
        cancelledIDRange = idRange == nil && method == "notifications/cancelled"
            ? JSONValueLocator.range(of: Self.cancelledIDPath, in: message) : nil
    }

    /// A request: it has both an id and a method.
    var isRequest: Bool { idRange != nil && method != nil }

    /// The JSON text of a range of `message`, as an id (or a token's key).
    static func id(_ range: Range<Int>, in message: UnsafeRawBufferPointer) -> JSONRPCID {
        JSONRPCID(json: String(decoding: message[range], as: UTF8.self))
    }

    private static let tokenKey = Array("progressToken".utf8)
    private static let cancelledIDPath = [Array("params".utf8), Array("requestId".utf8)]
}

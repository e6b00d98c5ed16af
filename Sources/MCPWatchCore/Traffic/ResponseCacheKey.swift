import Foundation

/// What a cached result is found by: the method and the parameters that affect the result, in canonical form, with
/// `_meta` left out (2026-07-28 "Cache Key"); for `tools/call` that is the tool's name and its arguments.
public struct ResponseCacheKey: Sendable, Hashable {
    /// The request's method.
    public var method: String
    /// The canonical parameters without `_meta` (empty when the request has none).
    public var parameters: [UInt8]
    /// For `resources/read`: the resource, so that `notifications/resources/updated` finds its entries.
    public var uri: String?
    /// For `tools/call`: the tool.
    public var tool: String?
    /// Anything else that the relay knows changes the result (the negotiated protocol version, say); empty if none.
    public var variant: String

    /// Creates a key from parts (the relay builds keys with ``make(request:variant:)``).
    public init(method: String, parameters: [UInt8], uri: String? = nil, tool: String? = nil, variant: String = "") {
        self.method = method
        self.parameters = parameters
        self.uri = uri
        self.tool = tool
        self.variant = variant
    }

    /// Why a request's answer may not be cached, whatever the server says.
    public enum Refusal: String, Error, Sendable, Equatable {
        /// Not a JSON-RPC request object.
        case notARequest = "not_a_request"
        /// It asks for progress notifications: its answer comes with a stream of them, which a cache hit cannot give.
        case progressToken = "progress_token"
        /// A multi round-trip retry (`inputResponses` or `requestState`): its result depends on inputs outside the key.
        case retry
    }

    /// The key of a request message (one JSON-RPC object), or why it has none.
    public static func make(request: [UInt8], variant: String = "") -> Result<ResponseCacheKey, Refusal> {
        request.withUnsafeBufferPointer { make(request: $0, variant: variant) }
    }

    /// The key of a request message in a buffer, or why it has none.
    public static func make(request: UnsafeBufferPointer<UInt8>, variant: String = "") -> Result<ResponseCacheKey, Refusal> {
        var parser = CanonicalJSON.Parser(bytes: request)
        guard let top = parser.members() else { return .failure(.notARequest) }
        var method: String?
        var params: Range<Int>?
        var hasID = false
        for member in top {
            if equals(request, member.key, "method") { method = CanonicalJSON.string(UnsafeBufferPointer(rebasing: request[member.value])) }
            if equals(request, member.key, "params") { params = member.value }
            if equals(request, member.key, "id") { hasID = true }
        }
        guard let method, hasID else { return .failure(.notARequest) }
        guard let params else { return .success(ResponseCacheKey(method: method, parameters: [], variant: variant)) }
        let paramBytes = UnsafeBufferPointer(rebasing: request[params])
        var inner = CanonicalJSON.Parser(bytes: paramBytes)
        guard let members = inner.members() else {
            // Positional parameters: keyed as they are, canonically.
            guard let canonical = CanonicalJSON.canonical(paramBytes) else { return .failure(.notARequest) }
            return .success(ResponseCacheKey(method: method, parameters: canonical, variant: variant))
        }
        var uri: String?
        var tool: String?
        for member in members {
            let value = UnsafeBufferPointer(rebasing: paramBytes[member.value])
            if equals(paramBytes, member.key, "inputResponses") || equals(paramBytes, member.key, "requestState") { return .failure(.retry) }
            if equals(paramBytes, member.key, "_meta") {
                var meta = CanonicalJSON.Parser(bytes: value)
                if let metaMembers = meta.members(), metaMembers.contains(where: { equals(value, $0.key, "progressToken") }) {
                    return .failure(.progressToken)
                }
            }
            if method == "resources/read" && equals(paramBytes, member.key, "uri") { uri = CanonicalJSON.string(value) }
            if method == "tools/call" && equals(paramBytes, member.key, "name") { tool = CanonicalJSON.string(value) }
        }
        guard var canonical = CanonicalJSON.canonical(paramBytes, droppingTopLevelKeys: ["_meta"]) else { return .failure(.notARequest) }
        // No parameters, `{}` and only `_meta` ask the same.
        if canonical == Self.emptyObject { canonical = [] }
        return .success(ResponseCacheKey(method: method, parameters: canonical, uri: uri, tool: tool, variant: variant))
    }

    private static let emptyObject = Array("{}".utf8)

    static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ key: StaticString) -> Bool {
        range.count == key.utf8CodeUnitCount && memcmp(bytes.baseAddress! + range.lowerBound, key.utf8Start, range.count) == 0
    }

    /// Bytes the key takes, for the cache's byte bound.
    var cost: Int { method.utf8.count + parameters.count + (uri?.utf8.count ?? 0) + (tool?.utf8.count ?? 0) + variant.utf8.count }
}

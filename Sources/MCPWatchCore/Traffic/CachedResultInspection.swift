import Foundation

/// What the cache needs to know of a response, read from its top-level keys and its result's (values skipped, not
/// decoded, so a large result costs one pass): where the id is, whether it is an error, and the caching hints.
struct CachedResultInspection {
    var idRange: Range<Int>
    var isErrorResponse = false
    var isToolError = false
    /// False for `resultType` other than `complete` (`input_required`).
    var isComplete = true
    /// `ttlMs`, negative treated as 0 (nil when absent or not a number).
    var ttlMilliseconds: Int64?
    /// `cacheScope` (nil when absent; an unknown value reads as private).
    var scope: CacheScope?

    init?(response: UnsafeBufferPointer<UInt8>) {
        var parser = CanonicalJSON.Parser(bytes: response)
        guard let top = parser.members() else { return nil }
        var id: Range<Int>?
        var result: Range<Int>?
        for member in top {
            if ResponseCacheKey.equals(response, member.key, "id") { id = member.value }
            if ResponseCacheKey.equals(response, member.key, "result") { result = member.value }
            if ResponseCacheKey.equals(response, member.key, "error") { isErrorResponse = true }
        }
        guard let id else { return nil }
        idRange = id
        guard !isErrorResponse else { return }
        guard let result else { return nil }
        var inner = CanonicalJSON.Parser(bytes: response)
        inner.position = result.lowerBound
        guard let members = inner.members() else { return nil }
        for member in members {
            let value = UnsafeBufferPointer(rebasing: response[member.value])
            if ResponseCacheKey.equals(response, member.key, "isError") { isToolError = Self.equals(value, "true") }
            if ResponseCacheKey.equals(response, member.key, "resultType") { isComplete = Self.equals(value, "\"complete\"") }
            if ResponseCacheKey.equals(response, member.key, "cacheScope") { scope = Self.equals(value, "\"public\"") ? .public : .private }
            if ResponseCacheKey.equals(response, member.key, "ttlMs") {
                let text = String(decoding: value, as: UTF8.self)
                if let whole = Int64(text) { ttlMilliseconds = max(0, whole) }
                else if let double = Double(text), double.isFinite { ttlMilliseconds = max(0, Int64(min(double, 9e15))) }
            }
        }
    }

    private static func equals(_ value: UnsafeBufferPointer<UInt8>, _ text: StaticString) -> Bool {
        value.count == text.utf8CodeUnitCount && memcmp(value.baseAddress!, text.utf8Start, value.count) == 0
    }
}

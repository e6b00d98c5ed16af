/// Who may be served a cached result (2026-07-28 `cacheScope`).
public enum CacheScope: String, Sendable, Equatable, Hashable, CaseIterable, Codable {
    /// Any caller: the result holds nothing user-specific.
    case `public`
    /// Only the same authorization context (the same token, session or client): never served to another.
    case `private`
}

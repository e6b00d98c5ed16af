import Hummingbird
import MCPWatchCore

/// Requires `X-API-Key: KEY` or `Authorization: Bearer KEY` on every request when keys are configured.
///
/// Keys are compared in constant time, and never logged.
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let keys: [[UInt8]]
    /// Paths that stay open (for example `/api/health`, when the configuration says so).
    let openPaths: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if openPaths.contains(request.uri.path) || Self.isDashboardFile(request.uri.path) { return try await next(request, context) }
        guard let presented = Self.presentedKey(request), keys.contains(where: { Self.constantTimeEqual($0, presented) }) else {
            var response = APIError.response(status: .unauthorized, message: "missing or wrong API key: send it as 'X-API-Key: KEY' or 'Authorization: Bearer KEY'")
            response.headers[.wwwAuthenticate] = "Bearer realm=\"mcpwatch\""
            return response
        }
        return try await next(request, context)
    }

    /// The dashboard's page and files hold no data, and the page must load to ask for the key: they stay open.
    static func isDashboardFile(_ path: String) -> Bool { path == "/" || path.hasPrefix("/assets/") }

    static func presentedKey(_ request: Request) -> [UInt8]? {
        if let key = request.headers[.init("X-API-Key")!] { return Array(key.utf8) }
        if let auth = request.headers[.authorization], auth.lowercased().hasPrefix("bearer ") {
            return Array(auth.dropFirst(7).trimmingCharacters(in: .whitespaces).utf8)
        }
        return nil
    }

    /// Equal in time that depends only on the lengths, not on where the first difference is.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            difference |= x ^ y
        }
        return difference == 0
    }
}

import Foundation

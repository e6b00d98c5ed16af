import Hummingbird
import MCPWatchCore

/// Applies ``CrossSiteGuard`` to every request before any handler (and before the API key check, so that a
/// preflight, which carries no key, is answered).
struct CrossSiteMiddleware<Context: RequestContext>: RouterMiddleware {
    let guardian: CrossSiteGuard

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // A second Host header (the first became the authority) would let one name pass the check and another be
        // meant: refused, as RFC 9112 says.
        if request.head.authority != nil, request.headers[.init("Host")!] != nil {
            return APIError.response(status: .badRequest, message: "Bad Request: more than one Host header")
        }
        let verdict = guardian.check(.init(
            method: request.method.rawValue,
            host: request.head.authority ?? request.headers[.init("Host")!],
            origin: request.headers[.origin],
            contentType: request.headers[.contentType],
            requestHeader: request.headers[.init(CrossSiteGuard.requestHeader)!],
            preflightMethod: request.headers[.accessControlRequestMethod],
            isRouted: request.method == .get || request.method == .head
                || (request.method == .post && MonitoringServer.postPaths.contains(Self.routedPath(request.uri.path)))))
        switch verdict {
        case .refuse(let status, let message, let setting):
            return APIError.response(status: .init(code: status), message: message, setting: setting)
        case .preflight(let origin):
            var response = Response(status: .noContent)
            Self.addCORS(to: &response.headers, origin: origin)
            response.headers[.accessControlAllowMethods] = "GET, POST"
            response.headers[.accessControlAllowHeaders] = "Content-Type, \(CrossSiteGuard.requestHeader), X-API-Key, Authorization"
            response.headers[.accessControlMaxAge] = "600"
            return response
        case .pass(let corsOrigin):
            var response = try await next(request, context)
            if let corsOrigin { Self.addCORS(to: &response.headers, origin: corsOrigin) }
            return response
        }
    }

    /// The path as the router matches it: empty segments dropped (`//api/call_tool/` is `/api/call_tool`), so that
    /// no spelling of an acting route escapes the acting-request check.
    static func routedPath(_ path: String) -> String {
        "/" + path.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
    }

    static func addCORS(to headers: inout HTTPFields, origin: String) {
        headers[.accessControlAllowOrigin] = origin
        headers[.vary] = "Origin"
    }
}

import Foundation
import Hummingbird
import Logging
import MCPWatchCore

/// Wraps every request: JSON error bodies, a `Server-Timing` header, the HTTP metrics, and a log line for slow ones.
struct ObservabilityMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: HTTPServerMetrics
    let slowThreshold: Duration
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            var message = Self.message(error) ?? error.status.reasonPhrase
            var status = error.status
            var allowed: String?
            if error.status == .notFound && (context.endpointPath == nil || context.endpointPath == "NotFound") {
                if MonitoringServer.isServed(request.uri.path) {
                    let method = MonitoringServer.postPaths.contains(request.uri.path) ? "POST" : "GET"
                    status = .methodNotAllowed
                    message = "\(request.method) is not supported here; use \(method)"
                    allowed = method
                } else {
                    message = "no such endpoint: \(request.method) \(request.uri.path) (the API is described at /api/openapi.json)"
                }
            }
            response = APIError.response(status: status, message: message)
            if let allowed { response.headers[.allow] = allowed }
        } catch {
            logger.error("request failed: \(error)", metadata: ["path": "\(request.uri.path)"])
            response = APIError.response(status: .internalServerError, message: "internal error")
        }
        let elapsed = ContinuousClock.now - start
        let seconds = elapsed.inSeconds
        response.headers[.init("Server-Timing")!] = String(format: "app;dur=%.3f", seconds * 1_000)
        let route = context.endpointPath ?? "unmatched"
        metrics.record(route: route, method: request.method.rawValue, status: response.status.code, seconds: seconds)
        if elapsed > slowThreshold {
            logger.warning("slow HTTP request", metadata: [
                "path": "\(request.uri.path)", "route": "\(route)", "ms": "\(String(format: "%.1f", seconds * 1_000))",
            ])
        }
        return response
    }

    static func message(_ error: any HTTPResponseError) -> String? {
        if let error = error as? HTTPError { return error.body }
        return nil
    }
}

/// The JSON error body every failing endpoint answers with: `{"error":{"status":404,"message":"..."}}` (and
/// `"setting"` when a configuration key would have allowed the request).
enum APIError {
    /// - Parameter setting: the configuration key that would allow what was refused, as `error.setting`.
    static func response(status: HTTPResponse.Status, message: String, setting: String? = nil) -> Response {
        let settingField = setting.map { ",\"setting\":\(JSONRPCErrorResponse.jsonString($0))" } ?? ""
        let body = "{\"error\":{\"status\":\(status.code),\"message\":\(JSONRPCErrorResponse.jsonString(message))\(settingField)}}"
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func badRequest(_ message: String) -> HTTPError { HTTPError(.badRequest, message: message) }
    static func notFound(_ message: String) -> HTTPError { HTTPError(.notFound, message: message) }
}

import Foundation
import Hummingbird
import NIOCore

/// Answers `server=NAME` on the front door: a request about another server is sent on to that server's own
/// mcpwatch through its socket, and its answer streamed back; a request about this one goes on to the routes.
///
/// It runs after the cross-site guard, the API key and the body limit, so that they apply to every server alike.
struct FleetMiddleware<Context: RequestContext>: RouterMiddleware {
    let fleet: FleetFrontDoor
    let maxBody: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = CrossSiteMiddleware<Context>.routedPath(request.uri.path)
        // A method no route takes is left to the router (405), whichever server it names.
        let routed = MonitoringServer.postPaths.contains(path) ? request.method == .post : (request.method == .get || request.method == .head)
        guard routed, Self.isPerServer(path) else { return try await next(request, context) }
        let server = request.uri.queryParameters.get("server").map { String($0) }
        let member = fleet.member.map { (pid: $0.instance.pid, name: $0.name()) }
        var scanned: [FleetInstance]?
        var route = FleetFrontDoor.route(server: server, member: member) {
            let instances = fleet.registry.scan()
            scanned = instances
            return instances
        }
        if case .refuse(404, _) = route, let scanned {
            // A name the descriptions do not have yet (the server has just said it): ask the processes themselves.
            let named = await fleet.withLiveNames(scanned)
            route = FleetFrontDoor.route(server: server, member: member, running: { named })
        }
        switch route {
        case .here:
            return try await next(request, context)
        case .forward(let instance):
            let query = Self.removingServer(from: request.uri.query)
            let uri = request.uri.path + (query.isEmpty ? "" : "?" + query)
            return try await fleet.forwarder.forward(request, socket: instance.socket, uri: uri, maxBody: maxBody)
        case .refuse(let status, let message):
            if status == 404, let server,
               let answer = await fleet.history.answer(server: server, path: request.uri.path, query: Self.removingServer(from: request.uri.query)) {
                return Response(status: .init(code: answer.status), headers: [.contentType: answer.contentType],
                                body: .init(byteBuffer: ByteBuffer(data: answer.body)))
            }
            return APIError.response(status: .init(code: status), message: message)
        }
    }

    /// The endpoints that are about one server. `/metrics` stays each process's own (Prometheus scrapes each one),
    /// and the fleet's own endpoints and the dashboard's files are the front door's.
    static func isPerServer(_ path: String) -> Bool {
        // `/api/calls` reads the machine's one store, which holds every server's calls: whoever answers filters by
        // `server` itself (a stopped server's calls too).
        if path == "/api/servers" || path == "/api/openapi.json" || path == "/api/calls" || path.hasPrefix("/api/fleet/") { return false }
        return path.hasPrefix("/api/") || path.hasPrefix("/performance/") || path == "/system_info"
    }

    /// The query without its `server` parameters, every other byte as it came.
    static func removingServer(from query: String?) -> String {
        guard let query, !query.isEmpty else { return "" }
        return query.split(separator: "&", omittingEmptySubsequences: false).filter { item in
            let key = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            return (key.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? key) != "server"
        }.joined(separator: "&")
    }
}

import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing
@testable import MCPWatchCore
@testable import MCPWatchServer

/// How many tools/call requests reached the "server".
final class Counter: Sendable {
    private let count = Atomic<Int>(0)
    func add() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

/// The monitoring API's Host, Origin and acting-request checks, through the real router.
@Suite struct CrossSiteRoutesTests {
    static func app(allowedHosts: [String] = [], allowedOrigins: [String] = [], calls: Counter? = nil) -> some ApplicationProtocol {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let store = MetricsStore()
        let explorer = DashboardRoutesTests.explorer(store: store) { line in
            if line.contains("tools/call") { calls?.add() }
            return #""result":{"content":[{"type":"text","text":"hi"}]}"#
        }
        let server = MonitoringServer(
            configuration: .init(host: "127.0.0.1", port: 9470, allowedHosts: allowedHosts, allowedOrigins: allowedOrigins),
            sources: MonitoringSources(store: store, explorer: explorer), logger: logger)
        return Application(router: server.buildRouter(), logger: logger)
    }

    static let host = HTTPField.Name("Host")!
    static let requestHeader = HTTPField.Name("X-MCPWatch-Request")!
    static let callBody = #"{"name":"echo","arguments":{"text":"csrf"}}"#

    /// The `error.setting` of a JSON error body (nil when there is none, or no such body).
    static func errorSetting(_ body: ByteBuffer) -> String? {
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any]
        return (json?["error"] as? [String: Any])?["setting"] as? String
    }

    @Test func theIssuesRequestNeverRunsTheTool() async throws {
        let calls = Counter()
        try await Self.app(calls: calls).test(.router) { client in
            try await client.execute(uri: "/api/call_tool", method: .post,
                                     headers: [.origin: "http://evil.example", .contentType: "text/plain"],
                                     body: ByteBuffer(string: Self.callBody)) { response in
                #expect(response.status == .forbidden)
                #expect(Self.errorSetting(response.body) == "http.allowed_origins")
                #expect(response.headers[.accessControlAllowOrigin] == nil)
            }
            for type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b"] {
                try await client.execute(uri: "/api/call_tool", method: .post, headers: [.contentType: type, Self.requestHeader: "1"],
                                         body: ByteBuffer(string: Self.callBody)) { response in
                    #expect(response.status == .unsupportedMediaType, "\(type)")
                }
            }
            try await client.execute(uri: "/api/call_tool", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: Self.callBody)) { response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains("X-MCPWatch-Request: 1"))
            }
        }
        #expect(calls.value == 0)
    }

    @Test func noSpellingOfTheActingRouteEscapesTheCheck() async throws {
        let calls = Counter()
        try await Self.app(calls: calls).test(.router) { client in
            for path in ["/api/call_tool/", "//api/call_tool", "/api//call_tool", "/api/call_tool?x=1"] {
                try await client.execute(uri: path, method: .post, headers: [.contentType: "text/plain"],
                                         body: ByteBuffer(string: Self.callBody)) { response in
                    #expect(response.status == .unsupportedMediaType, "\(path)")
                }
            }
        }
        #expect(calls.value == 0)
    }

    @Test func aSecondHostHeaderIsRefused() async throws {
        // The router test's requests name `localhost` already; one more Host header makes two.
        try await Self.app().test(.router) { client in
            try await client.execute(uri: "/api/report", method: .get, headers: [Self.host: "evil.example"]) { response in
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test func theDashboardsOwnRequestsRunIt() async throws {
        let calls = Counter()
        try await Self.app(calls: calls).test(.router) { client in
            try await client.execute(uri: "/api/call_tool", method: .post,
                                     // The router test's requests name `localhost` as their Host.
                                     headers: [.origin: "http://localhost", .contentType: "application/json", Self.requestHeader: "1"],
                                     body: ByteBuffer(string: Self.callBody)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.accessControlAllowOrigin] == nil)
            }
        }
        #expect(calls.value == 1)
    }

    /// Sends each request over a real connection with its own `Host` (the test frameworks fix it to `localhost`).
    static func withHosts(_ app: some ApplicationProtocol, _ body: @escaping @Sendable (_ get: @escaping @Sendable (String, String) async throws -> TestClient.Response) async throws -> Void) async throws {
        try await app.test(.live) { client in
            let port = try #require(client.port)
            try await TestClient.withClient(host: "127.0.0.1", port: port) { raw in
                try await body { path, host in try await raw.execute(TestClient.Request(path, method: .get, authority: host)) }
            }
        }
    }

    @Test func aForeignHostIsRefusedOnEveryPath() async throws {
        try await Self.withHosts(Self.app()) { get in
            for path in ["/", "/api/report", "/metrics", "/api/openapi.json", "/assets/dashboard.js", "/api/health", "/nowhere"] {
                let response = try await get(path, "attacker.example:9470")
                #expect(response.status == .forbidden, "\(path)")
                #expect(Self.errorSetting(response.body ?? ByteBuffer()) == "http.allowed_hosts", "\(path)")
            }
            for host in ["localhost:9470", "127.0.0.1:9470", "[::1]:9470"] {
                let response = try await get("/api/report", host)
                #expect(response.status == .ok, "\(host)")
            }
        }
        try await Self.withHosts(Self.app(allowedHosts: ["dash.example"])) { get in
            let allowed = try await get("/api/report", "dash.example:9470")
            #expect(allowed.status == .ok)
            let other = try await get("/api/report", "dash.example.attacker.example")
            #expect(other.status == .forbidden)
        }
    }

    @Test func allowedHostsAndOriginsWork() async throws {
        let calls = Counter()
        try await Self.app(allowedOrigins: ["https://app.example"], calls: calls).test(.router) { client in
            try await client.execute(uri: "/api/report", method: .get,
                                     headers: [.origin: "https://app.example"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.accessControlAllowOrigin] == "https://app.example")
                #expect(response.headers[.vary] == "Origin")
            }
            try await client.execute(uri: "/api/call_tool", method: .options,
                                     headers: [.origin: "https://app.example", .accessControlRequestMethod: "POST"]) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[.accessControlAllowOrigin] == "https://app.example")
                #expect(response.headers[.accessControlAllowHeaders]?.contains("X-MCPWatch-Request") == true)
            }
            try await client.execute(uri: "/api/call_tool", method: .post,
                                     headers: [.origin: "https://app.example", .contentType: "application/json", Self.requestHeader: "1"],
                                     body: ByteBuffer(string: Self.callBody)) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/report", method: .get,
                                     headers: [.origin: "https://other.example"]) { response in
                #expect(response.status == .forbidden)
            }
        }
        #expect(calls.value == 1)
    }
}

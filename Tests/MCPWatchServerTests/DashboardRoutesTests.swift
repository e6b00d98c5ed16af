import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
@testable import MCPWatchCore
@testable import MCPWatchServer

/// The dashboard's side of the HTTP server: its files, the chart series, the snapshot and the tool explorer.
@Suite struct DashboardRoutesTests {
    static func app(_ sources: MonitoringSources, dashboard: DashboardAssets = .load(), keys: [String] = []) -> some ApplicationProtocol {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let server = MonitoringServer(configuration: .init(apiKeys: keys), sources: sources, logger: logger, dashboard: dashboard)
        return Application(router: server.buildRouter(), logger: logger)
    }

    @Test func servesThePageAndItsFilesWithinTheBudget() async throws {
        let assets = DashboardAssets.load()
        #expect(assets.origin == .binary, "the default is the copy in the binary")
        #expect(assets.names.contains("index.html") && assets.names.contains("dashboard.js"))
        #expect(assets.totalBytes <= 200_000, "the issue's budget: 200 KB before compression")
        let (store, _) = MonitoringServerTests.filledStore()
        try await Self.app(MonitoringSources(store: store)).test(.router) { client in
            let etag = try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.headers[.init("Content-Security-Policy")!]?.contains("script-src 'self'") == true)
                #expect(String(buffer: response.body).contains("assets/dashboard.js"))
                return try #require(response.headers[.eTag])
            }
            try await client.execute(uri: "/", method: .get, headers: [.ifNoneMatch: etag]) { response in
                #expect(response.status == .notModified)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/assets/dashboard.js", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
            }
            for uri in ["/assets/nope.js", "/assets/..%2FPackage.swift", "/assets/index.html"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .notFound, "\(uri)")
                }
            }
        }
    }

    @Test func withoutItsFilesThePageSaysWhatIsMissingAndTheAPIWorks() async throws {
        let missing = DashboardAssets.load(folder: "/nonexistent")
        #expect(missing.folder == nil)
        let (store, _) = MonitoringServerTests.filledStore()
        try await Self.app(MonitoringSources(store: store), dashboard: missing).test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(String(buffer: response.body).contains("dashboard's files were not found"))
            }
            try await client.execute(uri: "/api/report", method: .get) { response in #expect(response.status == .ok) }
        }
    }

    @Test func seriesHasOnePointPerStepWithPercentiles() async throws {
        let clock = ManualClock()
        let store = MetricsStore(clock: clock)
        clock.advance(seconds: 10)
        for i in 0..<10 {
            store.record(CompletedCall(method: "tools/call", target: "a", id: RequestID(i), outcome: i == 0 ? .jsonrpcError : .ok,
                                       durationNanos: UInt64(i + 1) * 1_000_000, finishedAt: clock.now()))
        }
        clock.advance(seconds: 2.5)
        try await Self.app(MonitoringSources(store: store)).test(.router) { client in
            try await client.execute(uri: "/api/series?seconds=5", method: .get) { response in
                #expect(response.status == .ok)
                let series = try Report.decoder().decode(OverallSeries.self, from: Data(buffer: response.body))
                #expect(series.stepSeconds == 1)
                #expect(series.points.count == 5)
                // Seconds 8..11 are complete (12 is in progress); the calls are in second 10.
                let busy = try #require(series.points.first { $0.calls > 0 })
                #expect(busy.calls == 10 && busy.errors == 1)
                #expect(busy.maxMs == 10)
                #expect(busy.p50Ms.map { $0 >= 5 && $0 <= 6.5 } == true)
                #expect(series.points.filter { $0.calls == 0 }.allSatisfy { $0.p50Ms == nil })
            }
            try await client.execute(uri: "/api/series?seconds=3600", method: .get) { response in
                let series = try Report.decoder().decode(OverallSeries.self, from: Data(buffer: response.body))
                #expect(series.stepSeconds == 12)
                #expect(series.points.reduce(0) { $0 + $1.calls } == 10)
            }
            try await client.execute(uri: "/api/series?step=0", method: .get) { response in
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test func snapshotCarriesCardsAlertsAndEveryTool() async throws {
        let (store, _) = MonitoringServerTests.filledStore()
        try await Self.app(MonitoringSources(store: store)).test(.router) { client in
            try await client.execute(uri: "/api/snapshot", method: .get) { response in
                #expect(response.status == .ok)
                let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                #expect(json["full"] as? Bool == true)
                #expect((json["tools"] as? [Any])?.count == 3)
                #expect((json["window"] as? [String: Any])?["calls"] as? Int == 22)
                #expect((json["health"] as? [String: Any])?["status"] != nil)
                #expect((json["alerts"] as? [String: Any])?["firing"] as? Int == 0)
            }
        }
    }

    @Test func laterUpdatesCarryOnlyTheToolsThatChanged() {
        let (store, clock) = MonitoringServerTests.filledStore()
        let sources = MonitoringSources(store: store)
        var delta = DashboardDelta()
        #expect(MonitoringServer.dashboardUpdate(sources, delta: &delta, full: true).tools.count == 3)
        #expect(MonitoringServer.dashboardUpdate(sources, delta: &delta, full: false).tools.isEmpty)
        store.record(CompletedCall(method: "tools/call", target: "echo", id: RequestID(500), outcome: .ok, durationNanos: 1_000, finishedAt: clock.now()))
        #expect(MonitoringServer.dashboardUpdate(sources, delta: &delta, full: false).tools.map(\.name) == ["echo"])
    }

    /// What the dashboard sends with a request that acts (cross-site protection).
    static let acting: HTTPFields = [.contentType: "application/json", .init("X-MCPWatch-Request")!: "1"]

    /// An explorer whose "server" answers at once, from another task, as the relay would.
    static func explorer(store: MetricsStore, answer: @escaping @Sendable (String) -> String?) -> ToolExplorer {
        let requests = InjectedRequests()
        requests.attach { line, _ in
            let text = String(decoding: line, as: UTF8.self)
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any], let id = object["id"] as? String,
                  let reply = answer(text) else { return true }
            Task {
                let full = "{\"jsonrpc\":\"2.0\",\"id\":\(JSONStringLiteral.quoted(id)),\(reply)}"
                _ = Array(full.utf8).withUnsafeBytes { requests.claim(RequestID(json: JSONStringLiteral.quoted(id)), line: $0) }
            }
            return true
        }
        store.updateSession {
            $0.serverAlive = true
            $0.protocolVersion = "2025-06-18"
        }
        return ToolExplorer(requests: requests, store: store, timeout: .seconds(5))
    }

    @Test func explorerListsEveryPageAndCallsTools() async throws {
        let store = MetricsStore()
        let explorer = Self.explorer(store: store) { line in
            if line.contains("tools/list") {
                return line.contains("cursor")
                    ? #""result":{"tools":[{"name":"b","inputSchema":{"type":"object"}}]}"#
                    : #""result":{"tools":[{"name":"a","inputSchema":{"type":"object"}}],"nextCursor":"p2"}"#
            }
            if line.contains("\"fail\"") { return #""result":{"content":[{"type":"text","text":"no"}],"isError":true}"# }
            if line.contains("\"missing\"") { return #""error":{"code":-32602,"message":"Unknown tool: missing"}"# }
            return #""result":{"content":[{"type":"text","text":"hi"}]}"#
        }
        try await Self.app(MonitoringSources(store: store, explorer: explorer)).test(.router) { client in
            try await client.execute(uri: "/api/explorer/tools", method: .get) { response in
                #expect(response.status == .ok)
                let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                #expect((json["tools"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["a", "b"])
            }
            for (name, outcome) in [("echo", "ok"), ("fail", "tool_error"), ("missing", "jsonrpc_error")] {
                try await client.execute(uri: "/api/call_tool", method: .post, headers: DashboardRoutesTests.acting,
                                         body: ByteBuffer(string: #"{"name":"\#(name)","arguments":{"text":"<b>hi</b>"}}"#)) { response in
                    #expect(response.status == .ok)
                    let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                    #expect(json["outcome"] as? String == outcome, "\(name)")
                    #expect((json["arguments"] as? [String: Any])?["text"] as? String == "<b>hi</b>")
                    #expect(json["duration_ms"] is Double)
                }
            }
            for _ in 0..<10 {
                try await client.execute(uri: "/api/call_tool", method: .post, headers: DashboardRoutesTests.acting, body: ByteBuffer(string: #"{"name":"echo"}"#)) { _ in }
            }
            try await client.execute(uri: "/api/explorer/calls", method: .get) { response in
                let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                let calls = try #require(json["calls"] as? [[String: Any]])
                #expect(calls.count == 10)
                #expect(calls.first?["id"] as? Int == 13)
            }
            for body in ["not json", #"{"arguments":{}}"#, #"{"name":"echo","arguments":[1]}"#, #"{"name":"echo","argument":{}}"#] {
                try await client.execute(uri: "/api/call_tool", method: .post, headers: DashboardRoutesTests.acting, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .badRequest, "\(body)")
                }
            }
        }
    }

    @Test func explorerSaysWhenTheServerCannotBeAsked() async throws {
        let store = MetricsStore()
        let silent = ToolExplorer(requests: InjectedRequests(), store: store, timeout: .seconds(1))
        store.updateSession {
            $0.serverAlive = false
            $0.serverExit = "exited with status 3"
        }
        try await Self.app(MonitoringSources(store: store, explorer: silent)).test(.router) { client in
            try await client.execute(uri: "/api/explorer/tools", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("the MCP server has exited (exited with status 3)"))
            }
        }
        store.updateSession { $0.serverAlive = true }
        try await Self.app(MonitoringSources(store: store, explorer: silent)).test(.router) { client in
            try await client.execute(uri: "/api/call_tool", method: .post, headers: DashboardRoutesTests.acting, body: ByteBuffer(string: #"{"name":"x"}"#)) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("not been initialized"))
            }
        }
        try await Self.app(MonitoringSources(store: store)).test(.router) { client in
            try await client.execute(uri: "/api/explorer/tools", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }
}

import Foundation
import MCPWatchCore
import Synchronization

/// The dashboard's tool explorer: lists the server's tools and calls them, as mcpwatch's own requests on the
/// client's connection (``InjectedRequests``), measured like any call and marked as the dashboard's.
public final class ToolExplorer: Sendable {
    /// Why the explorer cannot answer; each maps to an HTTP status and a message for the page.
    struct Failure: Error {
        var status: Int
        var message: String
    }

    let requests: InjectedRequests
    let store: MetricsStore
    /// How long a call may take (the demo's slowest tool takes seconds; a real one may take a minute).
    let timeout: Duration
    private let history = Mutex<(next: Int, calls: [Data])>((1, []))
    /// How many results are kept.
    static let kept = 10

    /// Creates an explorer sending on `requests`.
    public init(requests: InjectedRequests, store: MetricsStore, timeout: Duration = .seconds(60)) {
        self.requests = requests
        self.store = store
        self.timeout = timeout
    }

    /// Checks that the server can be asked: its client has initialized it, and it runs.
    func ready() throws {
        let session = store.session
        // A server mcpwatch started must be running; a remote one (behind --upstream) is known only by its answers.
        guard session.serverAlive != false else {
            throw Failure(status: 503, message: session.serverExit.map { "the MCP server has exited (\($0))" } ?? "the MCP server is not running")
        }
        guard session.protocolVersion != nil, requests.isConnected else {
            throw Failure(status: 503, message: "the MCP server has not been initialized by its client yet: the explorer uses the client's session")
        }
    }

    /// One request; the parsed response object, or a failure with the server's error.
    private func send(_ method: String, params: [String: Any]?, timeout: Duration) async throws -> [String: Any] {
        try ready()
        let paramsText = try params.map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self) }
        let line: [UInt8]
        do {
            line = try await requests.send(method: method, params: paramsText, timeout: timeout)
        } catch InjectedRequests.Failure.timedOut {
            throw Failure(status: 504, message: "the MCP server did not answer \(method) within \(timeout.inSeconds) s")
        } catch InjectedRequests.Failure.notConnected, InjectedRequests.Failure.serverGone {
            throw Failure(status: 503, message: "the MCP server went away before answering \(method)")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
            throw Failure(status: 502, message: "the MCP server answered \(method) with something that is not a JSON object")
        }
        return object
    }

    /// `GET /api/explorer/tools`: every page of `tools/list`, as the server gave the tools.
    func listTools() async throws -> Data {
        let started = ContinuousClock.now
        var tools: [Any] = []
        var cursor: String?
        for _ in 0..<100 {
            let response = try await send("tools/list", params: cursor.map { ["cursor": $0] }, timeout: .seconds(15))
            if let error = response["error"] as? [String: Any] {
                throw Failure(status: 502, message: "the MCP server answered tools/list with an error: \(error["message"] as? String ?? "(no message)")")
            }
            guard let result = response["result"] as? [String: Any], let page = result["tools"] as? [Any] else {
                throw Failure(status: 502, message: "the MCP server's tools/list result has no tools array")
            }
            tools.append(contentsOf: page)
            guard let next = result["nextCursor"] as? String, !next.isEmpty, next != cursor else { break }
            cursor = next
        }
        let body: [String: Any] = [
            "tools": tools, "duration_ms": (ContinuousClock.now - started).inSeconds * 1_000,
            "fetched_at": RFC3339.string(from: Date()),
        ]
        return try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    /// `POST /api/call_tool`: `{"name": "...", "arguments": {...}}`; the result is kept with the last ten.
    func callTool(body: Data) async throws -> Data {
        guard let request = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
            throw Failure(status: 400, message: "the body must be a JSON object: {\"name\": \"tool\", \"arguments\": {...}}")
        }
        if let unknown = request.keys.sorted().first(where: { $0 != "name" && $0 != "arguments" }) {
            throw Failure(status: 400, message: "unknown field '\(unknown)': the body takes 'name' and 'arguments'")
        }
        guard let name = request["name"] as? String, !name.isEmpty else {
            throw Failure(status: 400, message: "'name' must be the tool's name (a non-empty string)")
        }
        let arguments = request["arguments"] ?? [String: Any]()
        guard arguments is [String: Any] else { throw Failure(status: 400, message: "'arguments' must be a JSON object") }
        try ready()
        let startedAt = Date()
        let started = ContinuousClock.now
        var record: [String: Any] = [
            "name": name, "arguments": arguments, "started_at": RFC3339.string(from: startedAt),
        ]
        do {
            let response = try await send("tools/call", params: ["name": name, "arguments": arguments], timeout: timeout)
            if let result = response["result"] {
                record["result"] = result
                record["outcome"] = ((result as? [String: Any])?["isError"] as? Bool) == true ? "tool_error" : "ok"
            } else {
                let error = response["error"] as? [String: Any]
                record["error"] = ["code": error?["code"] ?? NSNull(), "message": error?["message"] ?? "(no message)"]
                record["outcome"] = "jsonrpc_error"
            }
        } catch let failure as Failure where failure.status == 504 {
            record["outcome"] = "timeout"
            record["error"] = ["code": NSNull(), "message": failure.message]
        }
        record["duration_ms"] = (ContinuousClock.now - started).inSeconds * 1_000
        record["result"] = record["result"] ?? NSNull()
        record["error"] = record["error"] ?? NSNull()
        return try history.withLock { history in
            record["id"] = history.next
            history.next += 1
            let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys, .withoutEscapingSlashes])
            history.calls.insert(data, at: 0)
            if history.calls.count > Self.kept { history.calls.removeLast() }
            return data
        }
    }

    /// `GET /api/explorer/calls`: the last ten results, newest first.
    func recentCalls() -> Data {
        let calls = history.withLock { $0.calls }
        var out = Data("{\"calls\":[".utf8)
        for (i, call) in calls.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(call)
        }
        out.append(contentsOf: Array("]}".utf8))
        return out
    }
}

// swift-sdk-client URL CALLS_JSON
//
// Connects to the MCP endpoint URL with the official Swift SDK's Streamable HTTP client (HTTPClientTransport),
// initializes, lists tools, makes each call in CALLS_JSON (a JSON array of [tool name, arguments object]) in turn,
// and prints one JSON line: {"server", "protocol_version", "session_id", "tools", "results": [{"content", "isError"}]}.
// Exits 1 with a message on stderr on any failure (or no answer within 60 s), 2 on bad arguments.
//
// On Linux, swift-sdk 0.12.1's HTTPClientTransport reads a POST's answer whole with URLSession.data(for:) and
// passes an SSE answer (text/event-stream) on as if it were one JSON message (HTTPClientTransport.swift:327-329,
// "SSE responses aren't fully supported on Linux"); Client then cannot decode it ("Unexpected message received by
// client", Client.swift:241) and the request waits forever. So the server must answer with application/json:
// IntegrationTests/peers/echo_server.py --json-response. The GET stream for server-initiated messages is not opened on Linux
// either, and disconnect() sends no DELETE, so a session it opened stays open on the server.
import Foundation
import MCP

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

func fail(_ message: String, code: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data("swift-sdk-client: \(message)\n".utf8))
    exit(code)
}

/// A Codable value as plain JSON (for the output line), through the SDK's own encoding.
func json<T: Encodable>(_ value: T) throws -> Any {
    try JSONSerialization.jsonObject(with: JSONEncoder().encode(value), options: [.fragmentsAllowed])
}

let args = CommandLine.arguments
guard args.count == 3, let url = URL(string: args[1]) else {
    fail("usage: swift-sdk-client URL '[[\"tool\", {\"arg\": \"value\"}], ...]'", code: 2)
}
let calls: [(name: String, arguments: [String: Value])]
do {
    calls = try JSONDecoder().decode([Value].self, from: Data(args[2].utf8)).map { call in
        guard case .array(let pair) = call, pair.count == 2, case .string(let name) = pair[0],
            case .object(let arguments) = pair[1]
        else { fail("each call is [\"tool\", {arguments}], not \(call)", code: 2) }
        return (name, arguments)
    }
} catch {
    fail("CALLS_JSON is not a JSON array: \(error)", code: 2)
}

// No test should hang on a client that waits forever (the SDK sets no timeout of its own on a request).
let watchdog = Thread {
    Thread.sleep(forTimeInterval: 60)
    fail("no answer within 60 s")
}
watchdog.start()

do {
    let transport = HTTPClientTransport(endpoint: url)
    let client = Client(name: "mcpwatch-swift-sdk-client", version: "1.0.0")
    let initialized = try await client.connect(transport: transport)
    let tools = try await client.listTools().tools.map(\.name)
    var results: [Any] = []
    for call in calls {
        // (The tuple overload; the other one returns a RequestContext for cancellation.)
        let result: (content: [Tool.Content], isError: Bool?) = try await client.callTool(
            name: call.name, arguments: call.arguments)
        results.append(["content": try json(result.content), "isError": result.isError.map { $0 as Any } ?? NSNull()])
    }
    let sessionID = await transport.sessionID
    await client.disconnect()
    let line: [String: Any] = [
        "server": ["name": initialized.serverInfo.name, "version": initialized.serverInfo.version],
        "protocol_version": initialized.protocolVersion,
        "session_id": sessionID.map { $0 as Any } ?? NSNull(),
        "tools": tools,
        "results": results,
    ]
    let data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
    exit(0)
} catch {
    fail("\(error)")
}

import Foundation
import MCP

/// The demo's tools: they behave like real ones (variable latency, occasional failure, large results).
enum DemoTools {
    static let all: [Tool] = [
        Tool(
            name: "echo", description: "Return the text unchanged.",
            inputSchema: schema(["text": ["type": "string", "description": "Text to return"]], required: ["text"])),
        Tool(
            name: "search", description: "Search the (fake) document index. Latency varies like a real backend: mostly 20-80 ms, sometimes much more.",
            inputSchema: schema([
                "query": ["type": "string", "description": "What to look for", "minLength": 1],
                "limit": ["type": "integer", "description": "How many results", "minimum": 1, "maximum": 50, "default": 5],
                "filters": [
                    "type": "object", "description": "Optional filters",
                    "properties": [
                        "language": ["type": "string", "enum": ["en", "de", "fr", "ja"]],
                        "tags": ["type": "array", "items": ["type": "string"], "description": "All of these tags"],
                    ],
                ],
            ], required: ["query"])),
        Tool(
            name: "flaky_fetch", description: "Fetch a URL from a (fake) upstream that times out now and then (about 10 % of calls).",
            inputSchema: schema(["url": ["type": "string", "description": "The URL", "format": "uri"]], required: ["url"])),
        Tool(
            name: "large_result", description: "Return a text result of the given size, to show how large messages are handled.",
            inputSchema: schema(["kilobytes": ["type": "integer", "minimum": 1, "maximum": 10_240, "default": 256, "description": "Size of the result in KiB"]], required: [])),
        Tool(
            name: "slow_report", description: "Build a report slowly: sleeps the given seconds, to show slow tools and in-flight calls.",
            inputSchema: schema(["seconds": ["type": "number", "minimum": 0, "maximum": 60, "default": 2, "description": "How long to take"]], required: [])),
        Tool(
            name: "calculate", description: "Apply an operator to two numbers. Division by zero is a JSON-RPC error (invalid params).",
            inputSchema: schema([
                "a": ["type": "number"], "b": ["type": "number"],
                "op": ["type": "string", "enum": ["add", "sub", "mul", "div"], "description": "The operator"],
            ], required: ["a", "b", "op"])),
    ]

    static func schema(_ properties: [String: Value], required: [String]) -> Value {
        .object(["type": "object", "properties": .object(properties), "required": .array(required.map { .string($0) })])
    }

    /// Runs a tool call.
    static func call(_ params: CallTool.Parameters, random: DemoRandom) async throws -> CallTool.Result {
        let args = params.arguments ?? [:]
        switch params.name {
        case "echo":
            guard let text = args["text"]?.stringValue else { return failure("missing required argument 'text' (a string)") }
            return .init(content: [.text(text: text, annotations: nil, _meta: nil)], isError: false)
        case "search":
            guard let query = args["query"]?.stringValue, !query.isEmpty else { return failure("missing required argument 'query' (a non-empty string)") }
            let limit = max(1, min(50, args["limit"].flatMap { Int($0, strict: false) } ?? 5))
            try await sleep(milliseconds: random.logNormal(median: 40, sigma: 0.6, cap: 400))
            let results = (0..<limit).map { i in "\(i + 1). \(query) — result \(stableHash(query) % 997 + UInt64(i)) (score \(String(format: "%.2f", 1 - Double(i) * 0.07)))" }
            return .init(content: [.text(text: results.joined(separator: "\n"), annotations: nil, _meta: nil)], isError: false)
        case "flaky_fetch":
            guard let url = args["url"]?.stringValue else { return failure("missing required argument 'url'") }
            try await sleep(milliseconds: 5 + random.unit() * 25)
            if random.unit() < 0.1 {
                try await sleep(milliseconds: 100)
                return failure("upstream timed out fetching \(url)")
            }
            return .init(content: [.text(text: "<html><title>\(url)</title><body>fetched</body></html>", annotations: nil, _meta: nil)], isError: false)
        case "large_result":
            let kilobytes = max(1, min(10_240, args["kilobytes"].flatMap { Int($0, strict: false) } ?? 256))
            let line = String(repeating: "mcpwatch demo data ", count: 53) + "\n"  // 1 KiB per line
            return .init(content: [.text(text: String(repeating: line, count: kilobytes), annotations: nil, _meta: nil)], isError: false)
        case "slow_report":
            let seconds = max(0, min(60, args["seconds"].flatMap { Double($0, strict: false) } ?? 2))
            try await sleep(milliseconds: seconds * 1_000)
            return .init(content: [.text(text: "report ready after \(seconds) s", annotations: nil, _meta: nil)], isError: false)
        case "calculate":
            guard let a = args["a"].flatMap({ Double($0, strict: false) }), let b = args["b"].flatMap({ Double($0, strict: false) }),
                  let op = args["op"]?.stringValue
            else { throw MCPError.invalidParams("calculate needs numbers 'a' and 'b' and an operator 'op'") }
            let value: Double
            switch op {
            case "add": value = a + b
            case "sub": value = a - b
            case "mul": value = a * b
            case "div":
                guard b != 0 else { throw MCPError.invalidParams("division by zero") }
                value = a / b
            default: throw MCPError.invalidParams("unknown operator '\(op)': use add, sub, mul or div")
            }
            return .init(content: [.text(text: "\(value)", annotations: nil, _meta: nil)], isError: false)
        default:
            return failure("unknown tool '\(params.name)'")
        }
    }

    /// FNV-1a: the same query gives the same results in every run (Swift's `hashValue` is seeded per process).
    static func stableHash(_ text: String) -> UInt64 {
        text.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }

    static func failure(_ text: String) -> CallTool.Result {
        .init(content: [.text(text: text, annotations: nil, _meta: nil)], isError: true)
    }

    static func sleep(milliseconds: Double) async throws {
        try await Task.sleep(for: .nanoseconds(Int64(milliseconds * 1e6)))
    }
}

import Foundation
import Logging
import MCP

/// `mcpwatch demo-server`: a stdio MCP server built on the official MCP Swift SDK, for the demo and the tests.
public enum DemoServer {
    /// The tools it offers.
    public static var toolNames: [String] { DemoTools.all.map(\.name) }

    /// Serves MCP on stdin/stdout until the client closes stdin, then answers the calls still in flight.
    /// - Parameter seed: makes latencies and failures repeatable (also `MCPWATCH_DEMO_SEED`).
    public static func run(seed: UInt64?) async throws {
        let random = DemoRandom(seed: seed ?? ProcessInfo.processInfo.environment["MCPWATCH_DEMO_SEED"].flatMap { UInt64($0) })
        var logger = Logger(label: "mcpwatch.demo-server")
        logger.logLevel = .warning
        let server = Server(
            name: "mcpwatch-demo", version: "1.0.0",
            capabilities: .init(prompts: .init(listChanged: false), resources: .init(subscribe: false, listChanged: false), tools: .init(listChanged: false)))
        await server.withMethodHandler(ListTools.self) { _ in .init(tools: DemoTools.all) }
        await server.withMethodHandler(CallTool.self) { params in try await DemoTools.call(params, random: random) }
        await server.withMethodHandler(ListPrompts.self) { _ in
            .init(prompts: [Prompt(name: "summarize", description: "Summarize a topic in three sentences.",
                                   arguments: [.init(name: "topic", description: "What to summarize", required: true)])])
        }
        await server.withMethodHandler(GetPrompt.self) { params in
            guard params.name == "summarize" else { throw MCPError.invalidParams("unknown prompt '\(params.name)'") }
            let topic = params.arguments?["topic"] ?? "MCP"
            return .init(description: "Summarize \(topic)", messages: [.user(.text(text: "Summarize \(topic) in three sentences."))])
        }
        await server.withMethodHandler(ListResources.self) { _ in
            .init(resources: [
                Resource(name: "README", uri: "demo://readme", description: "What this demo server is", mimeType: "text/markdown"),
                Resource(name: "Configuration", uri: "demo://config", description: "The demo's settings", mimeType: "application/json"),
            ], nextCursor: nil)
        }
        await server.withMethodHandler(ReadResource.self) { params in
            switch params.uri {
            case "demo://readme":
                return .init(contents: [.text("# mcpwatch demo server\n\nTools: \(toolNames.joined(separator: ", ")).\n", uri: params.uri, mimeType: "text/markdown")])
            case "demo://config":
                return .init(contents: [.text(#"{"search_median_ms":40,"flaky_failure_rate":0.1}"#, uri: params.uri, mimeType: "application/json")])
            default:
                throw MCPError.invalidParams("unknown resource '\(params.uri)'")
            }
        }
        // Not the SDK's StdioTransport: it interleaves concurrent large results on stdout (see DemoStdioTransport).
        let transport = DemoStdioTransport(logger: logger)
        try await server.start(transport: transport)
        await server.waitUntilCompleted()  // end of input
        // The calls still in flight finish and their answers are written (for a few seconds at most) before the process ends.
        await transport.finish(within: .seconds(5))
        await server.stop()
    }
}

import ArgumentParser
import Foundation
import MCPWatchDemo

/// `mcpwatch demo-server`: the built-in demo MCP server on stdio.
struct DemoServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-server",
        abstract: "Run the built-in demo MCP server on stdio (tools that behave like real ones: slow, flaky, large).",
        discussion: """
            Examples:
              mcpwatch proxy -- mcpwatch demo-server
              mcpwatch demo-server --seed 42
            """
    )

    @Option(name: .long, help: "Seed for the demo's randomness (latency, failures), for repeatable runs.")
    var seed: UInt64?

    func run() async throws {
        // A client that closes our stdout makes writes fail (EPIPE), which the transport reports, rather than killing us
        // in the middle of answering the calls still in flight.
        signal(SIGPIPE, SIG_IGN)
        try await DemoServer.run(seed: seed)
    }
}

import ArgumentParser
import Foundation
import MCPWatchBench

/// `mcpwatch bench-server`: a minimal, fast MCP echo server on stdio, the far end of a benchmark.
struct BenchServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-server",
        abstract: "Run a minimal, fast MCP server on stdio or Streamable HTTP (tools echo and noop), the far end of a benchmark.",
        discussion: """
            It costs as little per call as a correct MCP server can: one read
            loop with a large buffer, nothing decoded beyond each message's id,
            method and tool name, the echo text copied back as the JSON string it
            came in, and all answers to one read written at once. A benchmark
            against it measures what sits in between (mcpwatch proxy, a
            transport), not the server.

            It answers initialize (serverInfo mcpwatch-bench-server; the client's
            protocol version when it is one of 2024-11-05, 2025-03-26,
            2025-06-18 or 2025-11-25, else the latest), ping, tools/list and
            tools/call:
              echo {"text": string}  returns the text as one text content
                                     (an empty text without the argument)
              noop {}                returns no content
            An unknown tool gets a result with isError true, an unknown method
            the JSON-RPC error -32601. It exits with status 0 when its input
            ends.

            With --http HOST:PORT it serves the same over Streamable HTTP at
            http://HOST:PORT/mcp instead, answering each request on the
            event loop that read it (one per core): initialize opens a session
            (Mcp-Session-Id), each POST is answered with one JSON body (202 for
            notifications), DELETE ends the session, GET gets 405. It runs until
            it is stopped (Ctrl-C, SIGTERM).

            Examples:
              mcpwatch bench -- mcpwatch bench-server
              mcpwatch bench -c 16 -- mcpwatch proxy -- mcpwatch bench-server
              echo '{"jsonrpc":"2.0","id":1,"method":"ping"}' \\
                  | mcpwatch bench-server
              mcpwatch bench-server --http 127.0.0.1:8940 &
              mcpwatch bench -c 16 --url http://127.0.0.1:8940/mcp
            """
    )

    @Option(name: .customLong("http"), help: ArgumentHelp(
        "Serve over Streamable HTTP at http://HOST:PORT/mcp instead of stdio (port 0: any free one).", valueName: "host:port"))
    var http: String?

    func run() throws {
        if let http {
            return try serveHTTP(http)
        }
        // A client that goes away must end the loop with a failed write, not a signal.
        signal(SIGPIPE, SIG_IGN)
        try BenchServer.run()
    }

    private func serveHTTP(_ address: String) throws {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--http takes HOST:PORT, e.g. 127.0.0.1:8940 (got \(address))")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "127.0.0.1" }
        let server = try BenchHTTPServer.start(host: host, port: port)
        let shown = host.contains(":") ? "[\(host)]" : host
        FileHandle.standardError.write(Data("mcpwatch bench-server: serving MCP over Streamable HTTP at http://\(shown):\(server.port)/mcp\n".utf8))
        server.wait()
    }
}

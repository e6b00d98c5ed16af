import ArgumentParser

/// The `mcpwatch` command line.
@main
struct MCPWatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcpwatch",
        abstract: "A performance monitor for MCP servers: relays every message unchanged and measures every call.",
        discussion: """
            Put it in front of any stdio MCP server, in the client's configuration:

              "command": "mcpwatch", "args": ["proxy", "--", "uvx", "mcp-server-time"]

            Examples:
              mcpwatch proxy -- uvx mcp-server-time
              mcpwatch proxy --report-file report.json -- python server.py
              mcpwatch demo               (the demo server behind mcpwatch, with live traffic)
              mcpwatch demo-server        (the built-in demo MCP server, on stdio)
              mcpwatch wrap claude-desktop (every server of Claude Desktop through mcpwatch)
              mcpwatch rules export --format prometheus
              mcpwatch health             (exit 0, 1 or 2: for cron and health checks)
              mcpwatch dashboard          (every server on this machine, on one address)
              mcpwatch bench --concurrency 16 --duration 10s -- mcpwatch bench-server
            """,
        subcommands: [ProxyCommand.self, DemoCommand.self, HealthCommand.self, RulesCommand.self, ConfigCommand.self,
                      BenchCommand.self, BenchServerCommand.self, DemoServerCommand.self, DashboardCommand.self,
                      WrapCommand.self, UnwrapCommand.self, ReportCommand.self]
    )
}

#!/usr/bin/env python3
"""An MCP Python SDK 2.x test-peer server with one of each kind of target the OpenTelemetry MCP conventions name:
a tool (`echo`), a tool that fails (`fail`, `isError`), a prompt (`greet`) and resources (`note://{n}`).

Usage:
  python conventions_server.py          # stdio
"""
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

mcp = MCPServer("conventions-peer", log_level="WARNING")


@mcp.tool()
def echo(text: str) -> str:
    """Return text unchanged."""
    return text


@mcp.tool()
def fail() -> str:
    """Always fail: a CallToolResult with isError=true."""
    raise ToolError("intentional failure from conventions-peer")


@mcp.prompt()
def greet(name: str) -> str:
    """A greeting."""
    return f"Hello {name}"


@mcp.resource("note://{n}")
def note(n: str) -> str:
    """A note per number: one resource URI each."""
    return f"note {n}"


if __name__ == "__main__":
    mcp.run(transport="stdio")

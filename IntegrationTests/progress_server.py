"""A Streamable HTTP MCP server (official Python SDK, 1.x or 2.x) whose tool `wait_for_file(path)` sends a progress
notification, then waits until `path` exists and returns. A client that creates the file when the progress arrives
proves that the notification reached it while the call was still running: a proxy that buffered the SSE answer to
its end would leave both waiting until the tool gives up. Without --port it serves stdio (for the bridge)."""
import argparse
import os

import anyio

try:  # mcp 1.x
    from mcp.server.fastmcp import Context, FastMCP as Server
except ModuleNotFoundError:  # mcp 2.x
    from mcp.server.mcpserver import Context, MCPServer as Server

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, help="serve Streamable HTTP on this port (default: stdio)")
args = parser.parse_args()

V1 = Server.__name__ == "FastMCP"
server = Server("progress-peer", log_level="WARNING", host="127.0.0.1", port=args.port or 0) if V1 else Server("progress-peer", log_level="WARNING")


@server.tool()
async def wait_for_file(path: str, ctx: Context) -> str:
    """Reports progress, then waits (at most 20 s) until the file exists."""
    await ctx.report_progress(1, 2, "waiting for the client")
    with anyio.move_on_after(20):
        while not os.path.exists(path):
            await anyio.sleep(0.02)
        return "seen"
    return "gave up"


if args.port is None:
    server.run(transport="stdio")
elif V1:
    server.run(transport="streamable-http")
else:
    server.run(transport="streamable-http", host="127.0.0.1", port=args.port)

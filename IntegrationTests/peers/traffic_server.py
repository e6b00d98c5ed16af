#!/usr/bin/env python3
"""An MCP test-peer server (Python SDK 2.x, stdio) that tells from its own side what reached it, for the traffic
control tests: every tool call and every tools/list appends a JSON line to the log file given with --log.

Tools: hold(ms, tag) sleeps and logs its enter and exit (so the test can count the calls in flight at once);
flaky() fails until heal() is called; change_tools() sends notifications/tools/list_changed.
"""
import argparse
import json
import time

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

ap = argparse.ArgumentParser()
ap.add_argument("--log", required=True)
args = ap.parse_args()

state = {"failing": True}


def log(event: str, **fields):
    with open(args.log, "a") as f:
        f.write(json.dumps({"event": event, "t": time.monotonic(), **fields}) + "\n")


class LoggingServer(MCPServer):
    async def list_tools(self):
        log("tools/list")
        return await super().list_tools()


mcp = LoggingServer("traffic-peer", log_level="WARNING")


@mcp.tool()
async def hold(ms: int, tag: str = "") -> str:
    """Sleep ms milliseconds (at most 60 s), logging the call's start and end."""
    log("enter", tag=tag)
    try:
        await anyio.sleep(max(0, min(int(ms), 60_000)) / 1000)
    finally:
        log("exit", tag=tag)
    return f"held {ms} ms"


@mcp.tool()
def flaky() -> str:
    """Fail (isError) until heal() is called."""
    log("flaky", failing=state["failing"])
    if state["failing"]:
        raise ToolError("flaky is failing")
    return "fine"


@mcp.tool()
def heal() -> str:
    """Make flaky() succeed from now on."""
    state["failing"] = False
    return "healed"


@mcp.tool()
async def change_tools(ctx: Context) -> str:
    """Send notifications/tools/list_changed."""
    await ctx.session.send_tool_list_changed()
    return "changed"


if __name__ == "__main__":
    mcp.run(transport="stdio")

#!/usr/bin/env python3
"""An MCP Python SDK 2.x test-peer server for 2026-07-28 features that cross mcpwatch's modes:

- `where(region, query)`: `region` is marked `x-mcp-header: Region`, so over Streamable HTTP the server refuses a
  call without a matching `Mcp-Param-Region` header (HeaderMismatch, -32020);
- `change()`: tells `subscriptions/listen` subscribers that the tool list changed;
- `ask_name()`: asks the client for a name (2026-07-28: a result `input_required`, then the client's retry).

Usage:
  python modern_server.py                                        # stdio
  python modern_server.py --transport streamable-http --port N   # /mcp on 127.0.0.1
"""
import argparse
from typing import Annotated

from pydantic import BaseModel, Field
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.resolve import Elicit, Resolve

ap = argparse.ArgumentParser()
ap.add_argument("--transport", default="stdio", choices=["stdio", "streamable-http"])
ap.add_argument("--port", type=int, default=8934)
args = ap.parse_args()

mcp = MCPServer("modern-peer", log_level="WARNING")


@mcp.tool()
def where(region: Annotated[str, Field(json_schema_extra={"x-mcp-header": "Region"})], query: str) -> str:
    """Say where a query runs."""
    return f"{query} in {region}"


@mcp.tool()
async def change(ctx: Context) -> str:
    """Announce that the tool list changed."""
    await ctx.notify_tools_changed()
    return "announced"


class Name(BaseModel):
    name: str


def ask_for_name() -> Elicit[Name]:
    return Elicit("Your name?", Name)


@mcp.tool()
def ask_name(name: Annotated[Name, Resolve(ask_for_name)]) -> str:
    """Ask the client for a name: over 2026-07-28 a result `input_required`, then the client's retry; over older
    versions an `elicitation/create` request mid-call."""
    return f"hello {name.name}"


if args.transport == "stdio":
    mcp.run(transport="stdio")
else:
    mcp.run(transport="streamable-http", host="127.0.0.1", port=args.port)

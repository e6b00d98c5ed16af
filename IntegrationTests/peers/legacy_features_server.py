#!/usr/bin/env python3
"""An MCP Python SDK 1.x (FastMCP) test-peer server for the features MCP 2026-07-28 deprecates, which older peers
still use: server-to-client requests (sampling, elicitation, roots) inside a call, a log message, and (from the
client) ping and logging/setLevel.

Usage:
  python legacy_features_server.py                  # stdio
  python legacy_features_server.py --port N         # Streamable HTTP at /mcp on 127.0.0.1
"""
import argparse

from pydantic import BaseModel
from mcp.server.fastmcp import Context, FastMCP
from mcp.types import SamplingMessage, TextContent

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int)
args = ap.parse_args()

mcp = FastMCP("legacy-features-peer", log_level="WARNING", host="127.0.0.1", port=args.port or 0)


class Name(BaseModel):
    name: str


@mcp.tool()
async def ask_everything(ctx: Context) -> str:
    """Asks the client for a completion, a name and its roots, logging on the way."""
    await ctx.info("asking the client")
    sampled = await ctx.session.create_message(
        messages=[SamplingMessage(role="user", content=TextContent(type="text", text="say hi"))], max_tokens=5)
    elicited = await ctx.elicit(message="Your name?", schema=Name)
    roots = await ctx.session.list_roots()
    return f"{sampled.content.text} / {elicited.data.name if elicited.action == 'accept' else elicited.action} / {','.join(str(r.uri) for r in roots.roots)}"


@mcp._mcp_server.set_logging_level()
async def set_level(level) -> None:
    """Accepts logging/setLevel (FastMCP 1.x answers it only with a handler)."""


mcp.run(transport="stdio" if args.port is None else "streamable-http")

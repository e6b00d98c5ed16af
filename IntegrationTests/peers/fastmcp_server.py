#!/usr/bin/env python3
"""A FastMCP (PyPI `fastmcp`, on the MCP Python SDK 2.x) test-peer server: echo and add.

Usage:
  python fastmcp_server.py                                         # stdio
  python fastmcp_server.py --transport http --port 8933            # Streamable HTTP at /mcp on 127.0.0.1
"""
import argparse

from fastmcp import FastMCP

ap = argparse.ArgumentParser()
ap.add_argument("--transport", default="stdio", choices=["stdio", "http"])
ap.add_argument("--port", type=int, default=8933)
args = ap.parse_args()

mcp = FastMCP("fastmcp-peer")


@mcp.tool
def echo(text: str) -> str:
    """Return text unchanged."""
    return text


@mcp.tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


if args.transport == "stdio":
    mcp.run(show_banner=False)
else:
    mcp.run(transport="http", host="127.0.0.1", port=args.port, show_banner=False, log_level="warning")

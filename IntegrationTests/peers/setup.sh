#!/usr/bin/env bash
# Copied from the project's shared peers (../shared/peers) so that a fresh clone can run its tests on its own.
# Installs real, independently written MCP peers into two virtual environments:
#   DIR/sdk1: the official Python SDK 1.x (FastMCP), mcp-server-time, mcp-proxy
#   DIR/sdk2: the official Python SDK 2.x (MCPServer), mcp-server-time
#   DIR/fastmcp: FastMCP (PyPI fastmcp, on the SDK 2.x), which speaks MCP 2026-07-28 too
# Two environments because mcp-proxy pins mcp<2 while the newest mcp-server-time needs mcp>=2.3.
# Usage: setup.sh [DIR]   (default: .peers in the current folder)
set -euo pipefail
dir=${1:-.peers}
mkdir -p "$dir"
if [[ ! -x $dir/sdk1/bin/mcp-proxy ]]; then
  python3 -m venv "$dir/sdk1"
  "$dir/sdk1/bin/pip" install -q "mcp==1.30.0" "mcp-server-time==2026.10.10" "mcp-proxy==0.13.0"
fi
if [[ ! -x $dir/sdk2/bin/mcp-server-time ]]; then
  python3 -m venv "$dir/sdk2"
  "$dir/sdk2/bin/pip" install -q "mcp==2.3.0" "mcp-server-time==2026.10.19"
fi
# OpenTelemetry's SDK and the official OTLP protobuf classes, for test_otel.py (the SDK's client and server trace).
if ! "$dir/sdk2/bin/python" -c "import opentelemetry.sdk, opentelemetry.proto, opentelemetry.exporter.otlp.proto.http" 2>/dev/null; then
  "$dir/sdk2/bin/pip" install -q "opentelemetry-sdk==1.45.2" "opentelemetry-proto==1.45.2" "opentelemetry-exporter-otlp-proto-http==1.45.2"
fi
if [[ ! -x $dir/fastmcp/bin/fastmcp ]]; then
  python3 -m venv "$dir/fastmcp"
  "$dir/fastmcp/bin/pip" install -q "fastmcp==4.2.3"
fi
echo "peers ready in $dir: sdk1 ($("$dir/sdk1/bin/pip" show mcp | sed -n 's/^Version: //p')), sdk2 ($("$dir/sdk2/bin/pip" show mcp | sed -n 's/^Version: //p')), fastmcp ($("$dir/fastmcp/bin/pip" show fastmcp | sed -n 's/^Version: //p'))"

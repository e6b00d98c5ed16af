"""MCP 2026-07-28 has no `initialize`: who is talking is read from each message's `_meta` and from `server/discover`
(issue 17, item 2). The official Python SDK 2.3 `Client` in each of its modes, through the stdio relay (in front of
mcp-server-time) and the reverse proxy (in front of the SDK's own Streamable HTTP server): the same results and the
same negotiated protocol version as directly, and the report names the client, the server and the version.
"""
import json
import subprocess
import sys

import pytest

from conftest import free_port, read_report, wait_for
from test_http_proxy import get, port_open

CLIENT = r"""
import anyio, json, sys
from mcp import Client, StdioServerParameters
mode, target = sys.argv[1], json.loads(sys.argv[2])
tool, arguments = json.loads(sys.argv[3])

async def main():
    server = target if isinstance(target, str) else StdioServerParameters(command=target[0], args=target[1:])
    with anyio.fail_after(60):
        async with Client(server, mode=mode) as client:
            tools = sorted(t.name for t in (await client.list_tools()).tools)
            result = await client.call_tool(tool, arguments)
            text = result.content[0].text
            if tool == "get_current_time":
                text = sorted(json.loads(text))  # the time itself changes between runs
            print(json.dumps({"version": client.protocol_version, "tools": tools, "text": text, "error": result.is_error}))

anyio.run(main)
"""

MODES = ["auto", "2026-07-28", "legacy"]


def run_client(python, mode, target, call):
    out = subprocess.run([python, "-c", CLIENT, mode, json.dumps(target), json.dumps(call)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def expected_version(mode):
    return "2025-11-25" if mode == "legacy" else "2026-07-28"


@pytest.mark.parametrize("mode", MODES)
def test_stdio_relay_keeps_the_version_and_names_everyone(mcpwatch, peers, tmp_path, mode):
    call = ["get_current_time", {"timezone": "UTC"}]
    direct = run_client(peers["sdk2_python"], mode, [peers["time_server"]], call)
    report_file = tmp_path / "report.json"
    proxied = run_client(peers["sdk2_python"], mode,
                         [mcpwatch, "proxy", "--no-http", "--report-file", str(report_file), "--", peers["time_server"]], call)
    assert proxied == direct
    assert direct["version"] == expected_version(mode)
    session = read_report(report_file)["session"]
    assert session["protocol_version"] == direct["version"]
    assert session["client"]["name"] == "mcp"
    assert session["server"]["name"] == "mcp-time"
    assert read_report(report_file)["server_name"] == "mcp-time"


@pytest.mark.parametrize("mode", MODES)
def test_reverse_proxy_keeps_the_version_and_names_everyone(mcpwatch, peers, mode):
    upstream_port, serve_port, listen_port = free_port(), free_port(), free_port()
    upstream = subprocess.Popen([peers["sdk2_python"], peers["echo_server"], "--transport", "streamable-http", "--port", str(upstream_port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proxy = subprocess.Popen([mcpwatch, "proxy", "--upstream", f"http://127.0.0.1:{upstream_port}/mcp", "--serve-http",
                              f"127.0.0.1:{serve_port}", "--listen", f"127.0.0.1:{listen_port}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for port in (upstream_port, serve_port, listen_port):
            wait_for(lambda: port_open(port), 30, what=f"port {port}")
        call = ["echo", {"text": "modern"}]
        direct = run_client(peers["sdk2_python"], mode, f"http://127.0.0.1:{upstream_port}/mcp", call)
        proxied = run_client(peers["sdk2_python"], mode, f"http://127.0.0.1:{serve_port}/mcp", call)
        assert proxied == direct
        assert direct["version"] == expected_version(mode)
        report = json.loads(get(f"http://127.0.0.1:{listen_port}/api/report"))
        assert report["session"]["protocol_version"] == direct["version"]
        assert report["session"]["client"]["name"] == "mcp"
        assert report["session"]["server"]["name"] == "echo-peer"
        assert report["server_name"] == "echo-peer"
        # The server's name reaches the Prometheus label too.
        assert 'server="echo-peer"' in get(f"http://127.0.0.1:{listen_port}/metrics")
    finally:
        for p in (proxy, upstream):
            p.terminate()
            p.wait(15)

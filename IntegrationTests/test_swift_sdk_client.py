"""`mcpwatch proxy --upstream URL --serve-http HOST:PORT` with a client that is not Python: the official MCP Swift SDK's
Streamable HTTP client (modelcontextprotocol/swift-sdk 0.12.1, HTTPClientTransport over URLSession on Linux), built by
scripts/test from IntegrationTests/peers/swift-sdk-client, compared with the same client connected to the server directly.

On Linux that client reads only application/json answers to its POSTs: it hands an SSE answer's raw text to its JSON
decoder, drops it, and waits forever (HTTPClientTransport.swift, processResponse, `#if os(Linux)`). So the echo server
runs with --json-response here; the Python SDK tests cover SSE answers."""
import json
import subprocess

import pytest

from test_bridge import bridge  # noqa: F401 (a fixture)
from test_http_proxy import CALLS, Stack


def run_swift_client(binary, url, calls=CALLS):
    done = subprocess.run([binary, url, json.dumps(calls)], capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-3000:]}"
    [line] = done.stdout.splitlines()
    return json.loads(line)


@pytest.fixture
def stack(mcpwatch, peers):
    started = []

    def start(upstream_python):
        s = Stack(mcpwatch, peers, upstream_python=upstream_python, upstream_args=["--json-response"])
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


@pytest.mark.parametrize("server", ["sdk2_python", "sdk1_python"])
def test_swift_sdk_client_gets_identical_results_and_every_call_is_measured(stack, swift_sdk_client, server):
    s = stack(server)
    direct = run_swift_client(swift_sdk_client, s.direct_url)
    proxied = run_swift_client(swift_sdk_client, s.proxy_url)

    # The same answers; only the session differs (each connection is a session of its own).
    assert direct["session_id"] and proxied["session_id"] and proxied["session_id"] != direct["session_id"]
    assert dict(proxied, session_id=None) == dict(direct, session_id=None)
    assert proxied["server"]["name"] == "echo-peer"
    assert proxied["tools"] == ["echo", "sleep_ms", "fail"]
    results = proxied["results"]
    assert len(results) == len(CALLS)
    assert results[0] == {"content": [{"type": "text", "text": "hello through mcpwatch"}], "isError": False}
    assert results[1]["content"][0]["text"] == "ünïcødé ✓ and \"quotes\""
    assert results[2]["content"][0]["text"] == "slept 300 ms"
    assert [r["isError"] for r in results] == [False, False, False, True, True]

    # mcpwatch saw exactly the proxied connection's calls (the direct one bypassed it), in one session with the
    # client's own session id.
    report = json.loads(s.api("/api/report"))
    targets = {(t["method"], t["name"]): t for t in report["targets"]}
    assert targets[("initialize", "initialize")]["calls"] == 1
    assert targets[("tools/list", "tools/list")]["calls"] == 1
    assert targets[("tools/call", "echo")]["calls"] == 2
    assert targets[("tools/call", "echo")]["outcomes"]["ok"] == 2
    assert targets[("tools/call", "sleep_ms")]["calls"] == 1
    assert targets[("tools/call", "sleep_ms")]["min_ms"] >= 290
    assert targets[("tools/call", "fail")]["outcomes"]["tool_error"] == 1
    assert targets[("tools/call", "no_such_tool")]["outcomes"]["tool_error"] == 1
    client_calls = sum(t["calls"] for t in report["targets"] if t["direction"] == "client_to_server")
    assert client_calls == 2 + len(CALLS)
    assert report["overview"]["outcomes"].get("lost", 0) == 0
    assert report["anomalies"]["total"] == 0
    assert report["session"]["client"]["name"] == "mcpwatch-swift-sdk-client"

    [session] = report["session"]["sessions"]
    assert session["id"] == proxied["session_id"]
    assert session["client"] == {"name": "mcpwatch-swift-sdk-client", "version": "1.0.0"}
    assert session["calls"] == client_calls
    assert session["errors"] == 2
    sessions = json.loads(s.api("/api/sessions"))
    assert sessions["sessions_total"] == 1
    assert sessions["sessions"][0]["id"] == proxied["session_id"]
    # Unlike the Python SDK, this client sends no DELETE when it disconnects, so the session stays open.
    assert sessions["sessions"][0]["closed"] is False
    assert sessions["session_count"] == 1

    tools = {(t["method"], t["name"]): t["calls"] for t in json.loads(s.api("/api/tools"))["tools"]}
    assert tools[("tools/call", "echo")] == 2 and tools[("tools/call", "no_such_tool")] == 1


@pytest.mark.parametrize("mode", [[], ["--shared-server"]], ids=["per-session", "shared"])
def test_swift_sdk_client_through_the_bridge(bridge, swift_sdk_client, peers, mode):
    # The bridge answers a POST with JSON unless the server sends something else first, so this client works with
    # the SDK's default (SSE-answering) servers' stdio twin: the echo server over stdio, served by mcpwatch.
    b = bridge([peers["sdk2_python"], peers["echo_server"]], *mode)
    out = run_swift_client(swift_sdk_client, b.url)
    assert out["server"]["name"] == "echo-peer"
    assert out["tools"] == ["echo", "sleep_ms", "fail"]
    assert [r["isError"] for r in out["results"]] == [False, False, False, True, True]
    assert out["results"][2]["content"][0]["text"] == "slept 300 ms"
    report = b.api("/api/report")
    [session] = report["session"]["sessions"]
    assert session["id"] == out["session_id"]
    assert session["client"] == {"name": "mcpwatch-swift-sdk-client", "version": "1.0.0"}
    assert report["anomalies"]["total"] == 0

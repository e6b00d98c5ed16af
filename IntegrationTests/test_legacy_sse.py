"""The stdio front in front of a server that speaks the older HTTP+SSE transport (2024-11-05): the official Python
SDK's server with `--transport sse`, reached by the SDK's stdio client through `mcpwatch proxy --upstream URL`, and
compared with the SDK's own SSE client connected directly."""
import json
import subprocess
import urllib.request

import pytest

from conftest import free_port, stop, wait_for
from test_explorer_http import explorer
from test_http_proxy import CALLS, CLIENT, assert_calls_measured, port_open
from test_stdio_to_http import CONCURRENT_CLIENT, STDIO_CLIENT, run_stdio

# The SDK's own client for the older transport, connected directly (runs in either SDK's venv): test_http_proxy's
# client with the SSE transport's connect.
SSE_CLIENT = CLIENT.replace(CLIENT[CLIENT.index("try:"):CLIENT.index("def dump")],
                            "from mcp.client.sse import sse_client as connect\n\n")
assert "sse_client as connect" in SSE_CLIENT


@pytest.fixture
def sse_upstream(peers):
    started = []

    def start():
        port = free_port()
        server = subprocess.Popen([peers["sdk2_python"], peers["echo_server"], "--transport", "sse", "--port", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append(server)
        wait_for(lambda: port_open(port), 30, what="the SDK echo server (HTTP+SSE)")
        return server, f"http://127.0.0.1:{port}/sse"

    yield start
    stop(*started)


@pytest.mark.parametrize("transport", [[], ["--upstream-transport", "sse"]], ids=["detected", "named"])
@pytest.mark.parametrize("sdk", ["sdk2_python", "sdk1_python"])
def test_stdio_client_gets_the_results_of_a_direct_sse_client(mcpwatch, peers, sse_upstream, sdk, transport):
    _, url = sse_upstream()
    direct = run_stdio(peers[sdk], SSE_CLIENT, url, json.dumps(CALLS))
    assert direct[-1] == {"done": True}
    listen = free_port()
    lines = run_stdio(peers[sdk], STDIO_CLIENT, mcpwatch,
                      json.dumps(["proxy", "--upstream", url, "--listen", f"127.0.0.1:{listen}", *transport]),
                      f"http://127.0.0.1:{listen}/api/report", json.dumps(CALLS))
    assert lines[-1] == {"done": True}
    report = lines[-2]["report"]
    assert lines[:-2] == direct[:-1]
    assert lines[0] == {"server": "echo-peer"}
    assert "slept 300 ms" in json.dumps(lines[4])

    assert_calls_measured(report)
    assert report["session"]["client"]["name"] == "mcp"


def test_a_slow_call_does_not_hold_up_another(mcpwatch, peers, sse_upstream):
    _, url = sse_upstream()
    [order] = run_stdio(peers["sdk2_python"], CONCURRENT_CLIENT, mcpwatch, json.dumps(["proxy", "--upstream", url, "--no-http"]))
    assert [name for name, _ in order] == ["echo", "sleep_ms"], order


def test_explorer_works_and_a_vanished_server_ends_the_session_with_errors(mcpwatch, sse_upstream, raw_session):
    server, url = sse_upstream()
    listen = free_port()
    s = raw_session([mcpwatch, "proxy", "--upstream", url, "--listen", f"127.0.0.1:{listen}"])
    base = f"http://127.0.0.1:{listen}"
    wait_for(lambda: port_open(listen), 30, what="mcpwatch's monitoring server")
    s.send(b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},'
           b'"clientInfo":{"name":"raw","version":"1"}}}\n')
    assert json.loads(s.read_line(30))["result"]["serverInfo"]["name"] == "echo-peer"
    s.send(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
    wait_for(lambda: explorer(base, "/api/explorer/tools")[0] == 200, 30, what="the explorer to be ready")
    status, call = explorer(base, "/api/call_tool", {"name": "echo", "arguments": {"text": "from the dashboard"}})
    assert status == 200 and call["result"]["content"][0]["text"] == "from the dashboard", call

    # A call in flight when the server vanishes gets an error at once, and mcpwatch ends (status 1) as it does when a
    # stdio server exits.
    s.send(b'{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"sleep_ms","arguments":{"ms":10000}}}\n')
    wait_for(lambda: json.loads(urllib.request.urlopen(base + "/api/report", timeout=10).read())["overview"]["in_flight"] == 1,
             20, what="the call to be in flight")
    server.kill()
    answer = json.loads(s.read_line(30))
    assert answer["id"] == 2 and answer["error"]["code"] == -32002, answer
    assert "ended its HTTP+SSE stream" in answer["error"]["message"]
    assert s.wait(30) == 1


def test_mcp_proxy_serving_http_sse_as_the_upstream(mcpwatch, peers):
    # mcp-proxy (PyPI) serves a stdio server over both transports; its /sse endpoint is the older one.
    port = free_port()
    upstream = subprocess.Popen([peers["mcp_proxy"], "--port", str(port), "--host", "127.0.0.1", "--", peers["sdk1_python"],
                                 peers["echo_server"]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: port_open(port), 30, what="mcp-proxy")
        url = f"http://127.0.0.1:{port}/sse"
        direct = run_stdio(peers["sdk2_python"], SSE_CLIENT, url, json.dumps(CALLS))
        listen = free_port()
        lines = run_stdio(peers["sdk2_python"], STDIO_CLIENT, mcpwatch,
                          json.dumps(["proxy", "--upstream", url, "--listen", f"127.0.0.1:{listen}"]),
                          f"http://127.0.0.1:{listen}/api/report", json.dumps(CALLS))
        assert lines[:-2] == direct[:-1]
        report = lines[-2]["report"]
        assert {(t["method"], t["name"]) for t in report["targets"]} >= {("tools/call", "echo"), ("tools/call", "sleep_ms")}
        assert report["overview"]["outcomes"].get("lost", 0) == 0 and report["anomalies"]["total"] == 0
    finally:
        stop(upstream)

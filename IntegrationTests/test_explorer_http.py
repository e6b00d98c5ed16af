"""The dashboard's tool explorer in front of a Streamable HTTP server: through the reverse proxy (`--upstream URL
--serve-http`) and the stdio front (`--upstream URL`), with the official Python SDK's server as the upstream. The explorer
posts its own requests on the client's session; the client never sees their answers."""
import json
import subprocess
import urllib.error
import urllib.request

import pytest

from conftest import free_port, stop, wait_for
from test_http_proxy import port_open, post

INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw-client", "version": "1"}}}


def explorer(base, path, body=None):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json", "X-MCPWatch-Request": "1"},
                                     method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def message(body: str) -> dict:
    """The JSON-RPC message of an answer, whether it came as JSON or as one SSE event."""
    text = body.strip()
    if text.startswith("{"):
        return json.loads(text)
    data = [line[5:].strip() for line in text.splitlines() if line.startswith("data:")]
    return json.loads(data[-1])


@pytest.fixture
def upstream(peers):
    """The SDK 2.x echo server over Streamable HTTP (answers as SSE unless json=True)."""
    started = []

    def start(json_response=False):
        port = free_port()
        server = subprocess.Popen([peers["sdk2_python"], peers["echo_server"], "--transport", "streamable-http", "--port", str(port),
                                   *(["--json-response"] if json_response else [])],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append(server)
        wait_for(lambda: port_open(port), 30, what="the SDK echo server")
        return f"http://127.0.0.1:{port}/mcp"

    yield start
    stop(*started)


def check_explorer(base):
    status, tools = explorer(base, "/api/explorer/tools")
    assert status == 200, tools
    assert {"echo", "sleep_ms", "fail"} <= {t["name"] for t in tools["tools"]}
    status, call = explorer(base, "/api/call_tool", {"name": "echo", "arguments": {"text": "from the dashboard"}})
    assert status == 200 and call["outcome"] == "ok", call
    assert call["result"]["content"][0]["text"] == "from the dashboard"
    status, call = explorer(base, "/api/call_tool", {"name": "fail", "arguments": {}})
    assert status == 200 and call["outcome"] == "tool_error", call


def test_the_explorer_works_through_the_reverse_proxy(mcpwatch, upstream):
    url = upstream()
    serve, listen = free_port(), free_port()
    proxy = subprocess.Popen([mcpwatch, "proxy", "--upstream", url, "--serve-http", f"127.0.0.1:{serve}", "--listen", f"127.0.0.1:{listen}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{listen}"
    endpoint = f"http://127.0.0.1:{serve}/mcp"
    try:
        wait_for(lambda: port_open(serve) and port_open(listen), 30, what="mcpwatch's endpoints")
        # No session yet: nothing to send on.
        status, body = explorer(base, "/api/explorer/tools")
        assert status == 503 and "not been initialized" in body["error"]["message"], body

        status, headers, body = post(endpoint, json.dumps(INIT).encode())
        assert status == 200, body
        session = {k.lower(): v for k, v in headers.items()}["mcp-session-id"]
        with_session = {"Mcp-Session-Id": session, "MCP-Protocol-Version": message(body)["result"]["protocolVersion"]}
        status, _, _ = post(endpoint, b'{"jsonrpc":"2.0","method":"notifications/initialized"}', with_session)
        assert status == 202

        check_explorer(base)
        # The client's own session goes on working.
        call = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "echo", "arguments": {"text": "mine"}}}
        status, _, body = post(endpoint, json.dumps(call).encode(), with_session)
        assert status == 200 and message(body)["id"] == 7
        assert message(body)["result"]["content"][0]["text"] == "mine"

        report = json.loads(urllib.request.urlopen(base + "/api/report", timeout=10).read())
        echo = next(t for t in report["targets"] if t["name"] == "echo")
        assert echo["calls"] == 2 and echo["dashboard_calls"] == 1
        assert report["anomalies"]["total"] == 0
        assert report["overview"]["outcomes"].get("lost", 0) == 0

        # Once the session has ended, the explorer has nothing to send on again.
        request = urllib.request.Request(endpoint, headers=with_session, method="DELETE")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        status, body = explorer(base, "/api/explorer/tools")
        assert status == 503, body
    finally:
        stop(proxy)


def test_the_explorer_works_through_the_stdio_front(mcpwatch, upstream, raw_session):
    url = upstream(json_response=True)
    listen = free_port()
    s = raw_session([mcpwatch, "proxy", "--upstream", url, "--listen", f"127.0.0.1:{listen}"])
    base = f"http://127.0.0.1:{listen}"
    wait_for(lambda: port_open(listen), 30, what="mcpwatch's monitoring server")
    status, body = explorer(base, "/api/explorer/tools")
    assert status == 503, body

    s.send((json.dumps(INIT) + "\n").encode())
    assert json.loads(s.read_line(30))["id"] == 1
    s.send(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
    wait_for(lambda: explorer(base, "/api/explorer/tools")[0] == 200, 30, what="the explorer to be ready")

    check_explorer(base)
    # The next line the client reads is the answer to its own call: none of the explorer's answers reached it.
    s.send(b'{"jsonrpc":"2.0","id":"c-1","method":"tools/call","params":{"name":"echo","arguments":{"text":"mine"}}}\n')
    answer = json.loads(s.read_line(30))
    assert answer["id"] == "c-1" and answer["result"]["content"][0]["text"] == "mine"

    report = json.loads(urllib.request.urlopen(base + "/api/report", timeout=10).read())
    echo = next(t for t in report["targets"] if t["name"] == "echo")
    assert echo["calls"] == 2 and echo["dashboard_calls"] == 1
    assert report["anomalies"]["total"] == 0
    s.close_input()
    assert s.wait(30) == 0

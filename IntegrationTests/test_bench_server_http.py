"""`mcpwatch bench-server --http`: the fast echo server over Streamable HTTP, used by real clients (the official Python
SDK 1.x and 2.x), by `mcpwatch bench --url`, and behind mcpwatch's reverse proxy."""
import json
import re
import subprocess

import pytest

from conftest import free_port, stop, wait_for
from test_http_proxy import get, port_open, post, run_client

CALLS = [
    ["echo", {"text": "hello over HTTP"}],
    ["echo", {"text": "ünïcødé ✓ and \"quotes\""}],
    ["echo", {}],
    ["noop", {}],
    ["no_such_tool", {}],
]
INIT = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}).encode()


@pytest.fixture
def bench_server(mcpwatch):
    """Starts `mcpwatch bench-server --http 127.0.0.1:0` and returns its endpoint, read from what it prints."""
    server = subprocess.Popen([mcpwatch, "bench-server", "--http", "127.0.0.1:0"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    line = server.stderr.readline()
    match = re.search(r"at (http://127\.0\.0\.1:(\d+)/mcp)$", line.strip())
    assert match, line
    yield match.group(1)
    stop(server)


def texts(result):
    return [c.get("text") for c in result.get("content", [])]


@pytest.mark.parametrize("sdk", ["sdk2_python", "sdk1_python"])
def test_sdk_clients_get_the_answers_of_the_stdio_server(bench_server, peers, sdk):
    server, tools, *results = run_client(peers[sdk], bench_server, CALLS)
    assert server == {"server": "mcpwatch-bench-server"}
    assert [t["name"] for t in tools["tools"]] == ["echo", "noop"]
    assert texts(results[0]) == ["hello over HTTP"]
    assert texts(results[1]) == ["ünïcødé ✓ and \"quotes\""]
    assert texts(results[2]) == [""]
    assert results[3]["content"] == [] and not results[3].get("isError", False)
    assert results[4]["isError"] is True and texts(results[4]) == ["unknown tool: no_such_tool"]


def test_bench_drives_it_without_errors(mcpwatch, bench_server):
    out = subprocess.run([mcpwatch, "bench", "--url", bench_server, "--tool", "echo", "--args", '{"text":"hi"}',
                          "--concurrency", "8", "--requests", "2000", "--json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["ok"] == 2000 and sum(result["errors"].values()) == 0
    assert result["server"]["name"] == "mcpwatch-bench-server"


def test_protocol_answers(bench_server):
    base = bench_server
    status, headers, body = post(base, INIT)
    assert status == 200 and json.loads(body)["result"]["serverInfo"]["name"] == "mcpwatch-bench-server"
    session = {k.lower(): v for k, v in headers.items()}["mcp-session-id"]
    with_session = {"Mcp-Session-Id": session}

    status, _, body = post(base, b'{"jsonrpc":"2.0","method":"notifications/initialized"}', with_session)
    assert (status, body) == (202, "")
    status, _, body = post(base, b'{"jsonrpc":"2.0","id":"a","method":"ping"}', with_session)
    assert status == 200 and json.loads(body) == {"jsonrpc": "2.0", "id": "a", "result": {}}
    status, _, body = post(base, b'{"jsonrpc":"2.0","id":2,"method":"resources/list"}', with_session)
    assert status == 200 and json.loads(body)["error"]["code"] == -32601

    # Without a session, with one it never issued, and with bodies that are not one JSON-RPC message.
    status, _, body = post(base, b'{"jsonrpc":"2.0","id":3,"method":"ping"}')
    assert status == 400 and json.loads(body)["error"]["code"] == -32600
    status, _, body = post(base, b'{"jsonrpc":"2.0","id":3,"method":"ping"}', {"Mcp-Session-Id": "not-a-session"})
    assert status == 404
    status, _, body = post(base, b'{"jsonrpc":', with_session)
    assert status == 400 and json.loads(body)["error"]["code"] == -32700
    status, _, body = post(base, b'[{"jsonrpc":"2.0","id":4,"method":"ping"}]', with_session)
    assert status == 400 and json.loads(body)["error"]["code"] == -32600
    status, _, body = post(base, b'{"hello":"world"}', with_session)
    assert status == 400 and json.loads(body)["error"]["code"] == -32600
    status, _, _ = post(base, b"x" * (5 << 20), with_session)
    assert status == 413

    # GET (no stream), another path, then DELETE ends the session.
    import urllib.error
    import urllib.request
    for url, method, code in [(base, "GET", 405), (base.replace("/mcp", "/other"), "POST", 404)]:
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(urllib.request.Request(url, data=b"{}" if method == "POST" else None, method=method), timeout=10)
        assert error.value.code == code
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(urllib.request.Request(base, method="DELETE"), timeout=10)
    assert error.value.code == 400
    request = urllib.request.Request(base, headers=with_session, method="DELETE")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    status, _, _ = post(base, b'{"jsonrpc":"2.0","id":5,"method":"ping"}', with_session)
    assert status == 404


def test_the_reverse_proxy_in_front_of_it_changes_nothing_and_counts_every_call(mcpwatch, bench_server, peers):
    serve, listen = free_port(), free_port()
    proxy = subprocess.Popen([mcpwatch, "proxy", "--upstream", bench_server, "--serve-http", f"127.0.0.1:{serve}",
                              "--listen", f"127.0.0.1:{listen}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: port_open(serve) and port_open(listen), 30, what="mcpwatch's endpoints")
        direct = run_client(peers["sdk2_python"], bench_server, CALLS)
        proxied = run_client(peers["sdk2_python"], f"http://127.0.0.1:{serve}/mcp", CALLS)
        assert proxied == direct
        report = json.loads(get(f"http://127.0.0.1:{listen}/api/report"))
        targets = {(t["method"], t["name"]): t for t in report["targets"]}
        assert targets[("tools/call", "echo")]["calls"] == 3
        assert targets[("tools/call", "noop")]["outcomes"]["ok"] == 1
        assert targets[("tools/call", "no_such_tool")]["outcomes"]["tool_error"] == 1
        assert report["session"]["server"]["name"] == "mcpwatch-bench-server"
        assert report["anomalies"]["total"] == 0
    finally:
        stop(proxy)

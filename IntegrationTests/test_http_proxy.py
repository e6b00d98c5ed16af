"""`mcpwatch proxy --upstream URL --serve-http HOST:PORT`: the official Python SDK's Streamable HTTP client (1.x and 2.x)
through mcpwatch to the SDK's Streamable HTTP server, compared with a direct connection."""
import json
import pathlib
import signal
import subprocess
import textwrap
import urllib.error
import urllib.request

import pytest

from conftest import free_port, stop, wait_for

# Runs in either SDK's venv: connects to argv[1], prints one JSON line per result, then a final {"done": true}.
CLIENT = textwrap.dedent("""
    import json, sys
    import anyio
    from mcp import ClientSession
    try:
        from mcp.client.streamable_http import streamable_http_client as connect
    except ImportError:
        from mcp.client.streamable_http import streamablehttp_client as connect

    def dump(model):
        return json.dumps(model.model_dump(mode="json", by_alias=True, exclude_none=True), sort_keys=True)

    async def main(url, calls):
        with anyio.fail_after(60):
            async with connect(url) as streams, ClientSession(streams[0], streams[1]) as s:
                init = await s.initialize()
                print(json.dumps({"server": init.model_dump(mode="json", by_alias=True)["serverInfo"]["name"]}), flush=True)
                print(dump(await s.list_tools()), flush=True)
                for name, arguments in calls:
                    print(dump(await s.call_tool(name, arguments)), flush=True)
        print(json.dumps({"done": True}), flush=True)

    anyio.run(main, sys.argv[1], json.loads(sys.argv[2]))
""")

CALLS = [
    ["echo", {"text": "hello through mcpwatch"}],
    ["echo", {"text": "ünïcødé ✓ and \"quotes\""}],
    ["sleep_ms", {"ms": 300}],
    ["fail", {}],
    ["no_such_tool", {}],
]


def assert_calls_measured(report) -> dict:
    """What a run of CALLS leaves in the report, whatever the transport; returns the targets by (method, name)."""
    targets = {(t["method"], t["name"]): t for t in report["targets"]}
    assert targets[("tools/call", "echo")]["calls"] == 2
    assert targets[("tools/call", "sleep_ms")]["min_ms"] >= 290
    assert targets[("tools/call", "fail")]["outcomes"]["tool_error"] == 1
    assert targets[("initialize", "initialize")]["calls"] == 1
    assert report["overview"]["outcomes"].get("lost", 0) == 0
    assert report["anomalies"]["total"] == 0
    return targets


def get(url, headers=None, timeout=10):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read().decode()


def post(url, body: bytes, headers=None, timeout=15):
    """POSTs and returns (status, headers, body) whatever the status."""
    h = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    h.update(headers or {})
    request = urllib.request.Request(url, data=body, headers=h, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def port_open(port):
    import socket
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Stack:
    """The echo server over Streamable HTTP, and mcpwatch in front of it."""

    def __init__(self, mcpwatch, peers, extra=(), upstream_python="sdk2_python", upstream_args=()):
        self.upstream_port, self.serve_port, self.listen_port = free_port(), free_port(), free_port()
        self.upstream = subprocess.Popen(
            [peers[upstream_python], peers["echo_server"], "--transport", "streamable-http", "--port", str(self.upstream_port),
             *upstream_args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.proxy = subprocess.Popen(
            [mcpwatch, "proxy", "--upstream", f"http://127.0.0.1:{self.upstream_port}/mcp",
             "--serve-http", f"127.0.0.1:{self.serve_port}", "--listen", f"127.0.0.1:{self.listen_port}", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for(lambda: port_open(self.upstream_port), 30, what="the echo server")
        wait_for(lambda: port_open(self.serve_port), 30, what="mcpwatch's MCP endpoint")
        wait_for(lambda: port_open(self.listen_port), 30, what="mcpwatch's monitoring server")

    @property
    def direct_url(self):
        return f"http://127.0.0.1:{self.upstream_port}/mcp"

    @property
    def proxy_url(self):
        return f"http://127.0.0.1:{self.serve_port}/mcp"

    def api(self, path):
        return get(f"http://127.0.0.1:{self.listen_port}{path}")

    def stop(self):
        for p in (self.proxy, self.upstream):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)


@pytest.fixture
def stack(mcpwatch, peers):
    started = []

    def start(*extra):
        s = Stack(mcpwatch, peers, extra)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


def run_client(python, url, calls=CALLS):
    done = subprocess.run([python, "-c", CLIENT, url, json.dumps(calls)], capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines[-1] == {"done": True}, done.stdout
    return lines[:-1]


@pytest.mark.parametrize("sdk", ["sdk2_python", "sdk1_python"])
def test_sdk_client_gets_identical_results_and_every_call_is_measured(stack, peers, sdk):
    s = stack()
    direct = run_client(peers[sdk], s.direct_url)
    proxied = run_client(peers[sdk], s.proxy_url)
    assert proxied == direct
    assert proxied[0] == {"server": "echo-peer"}
    assert "slept 300 ms" in json.dumps(proxied[4])

    report = json.loads(s.api("/api/report"))
    targets = assert_calls_measured(report)
    assert targets[("tools/call", "sleep_ms")]["calls"] == 1
    assert targets[("tools/list", "tools/list")]["calls"] >= 1  # SDK 1.x may list again to validate a result
    assert report["session"]["client"]["name"] == "mcp"

    # The session, with its client and calls, in the report and /api/sessions; not as a metric label.
    [session] = report["session"]["sessions"]
    assert session["client"]["name"] == "mcp"
    assert session["calls"] == sum(t["calls"] for t in report["targets"] if t["direction"] == "client_to_server")
    assert session["errors"] == 2
    sessions = json.loads(s.api("/api/sessions"))
    assert sessions["sessions_total"] == 1
    assert sessions["sessions"][0]["id"] == session["id"]
    # The client ends its session with DELETE on exit.
    assert sessions["sessions"][0]["closed"] is True
    assert sessions["session_count"] == 0

    metrics = s.api("/metrics")
    assert 'network_transport="tcp"' in metrics
    assert 'gen_ai_tool_name="sleep_ms"' in metrics
    assert session["id"] not in metrics


def test_two_sessions_are_measured_apart(stack, peers):
    # Both sessions use the same request ids (0, 1, 2, ...): one recorder per session keeps them apart.
    s = stack()
    run_client(peers["sdk2_python"], s.proxy_url, [["echo", {"text": "a"}]])
    run_client(peers["sdk1_python"], s.proxy_url, [["echo", {"text": "b"}]])
    report = json.loads(s.api("/api/report"))
    targets = {(t["method"], t["name"]): t for t in report["targets"]}
    assert targets[("tools/call", "echo")]["calls"] == 2
    assert targets[("initialize", "initialize")]["calls"] == 2
    assert report["anomalies"]["total"] == 0
    assert len(report["session"]["sessions"]) == 2


def test_bad_origin_is_refused(stack):
    s = stack()
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}).encode()
    status, _, text = post(s.proxy_url, body, {"Origin": "http://evil.example"})
    assert status == 403
    assert json.loads(text)["error"]["message"].startswith("Forbidden: origin http://evil.example")
    # A local page's origin, and no origin at all, pass to the upstream (which answers for itself).
    status, _, _ = post(s.proxy_url, body, {"Origin": "http://localhost:5173"})
    assert status != 403


def test_allowed_origin_can_be_configured(stack):
    s = stack("--allow-origin", "https://app.example.com")
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}).encode()
    # mcpwatch lets the listed origin through (the Python server then applies its own origin check: whatever it
    # answers, it is not mcpwatch's refusal); another one is refused by mcpwatch itself.
    status, _, text = post(s.proxy_url, body, {"Origin": "https://app.example.com"})
    assert "DNS rebinding protection); allow it with --allow-origin" not in text
    status, _, text = post(s.proxy_url, body, {"Origin": "https://other.example.com"})
    assert status == 403 and "allow it with --allow-origin" in text


def test_upstream_down_gives_a_jsonrpc_error_not_a_hang(stack, peers):
    s = stack("--upstream-connect-timeout", "2")
    s.upstream.kill()
    s.upstream.wait(5)
    request = {"jsonrpc": "2.0", "id": 41, "method": "initialize",
               "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}
    status, headers, text = post(s.proxy_url, json.dumps(request).encode())
    assert status == 502
    error = json.loads(text)
    assert error["id"] == 41
    assert error["error"]["code"] == -32002
    assert "unavailable" in error["error"]["message"]
    # A batch gets one error per request.
    batch = [dict(request, id=1), {"jsonrpc": "2.0", "method": "notifications/initialized"}, dict(request, id="two")]
    status, _, text = post(s.proxy_url, json.dumps(batch).encode())
    assert status == 502
    assert [e["id"] for e in json.loads(text)] == [1, "two"]
    report = json.loads(s.api("/api/report"))
    assert report["overview"]["outcomes"]["lost"] == 3


def test_upstream_killed_mid_session_gives_the_sdk_client_an_error(stack, peers):
    s = stack()
    script = textwrap.dedent("""
        import sys, anyio
        from mcp import ClientSession
        from mcp.client.streamable_http import streamable_http_client as connect
        async def main(url, pid):
            with anyio.fail_after(60):
                async with connect(url) as streams, ClientSession(streams[0], streams[1]) as s:
                    await s.initialize()
                    await s.call_tool("echo", {"text": "before"})
                    import os, signal
                    os.kill(pid, signal.SIGKILL)
                    try:
                        await s.call_tool("echo", {"text": "after"})
                    except Exception as e:
                        print("ERROR", e, flush=True)
        anyio.run(main, sys.argv[1], int(sys.argv[2]))
    """)
    done = subprocess.run([peers["sdk2_python"], "-c", script, s.proxy_url, str(s.upstream.pid)],
                          capture_output=True, text=True, timeout=90)
    assert "ERROR" in done.stdout, done.stdout + done.stderr[-2000:]
    assert "unavailable" in done.stdout or "broke" in done.stdout
    assert s.proxy.poll() is None  # mcpwatch keeps serving


def test_wrong_path_and_method(stack):
    s = stack()
    status, _, text = post(f"http://127.0.0.1:{s.serve_port}/other", b"{}")
    assert status == 404 and "/mcp" in text


# Calls wait_for_file and creates the file from the progress callback: it returns "seen" only if the progress
# notification reached the client while the call still ran.
PROGRESS_CLIENT = textwrap.dedent("""
    import json, pathlib, sys
    import anyio
    from mcp import ClientSession
    try:
        from mcp.client.streamable_http import streamable_http_client as connect
    except ImportError:
        from mcp.client.streamable_http import streamablehttp_client as connect

    async def main(url, path):
        seen = []

        async def progress(value, total, message):
            seen.append([value, total, message])
            pathlib.Path(path).touch()

        with anyio.fail_after(60):
            async with connect(url) as streams, ClientSession(streams[0], streams[1]) as s:
                await s.initialize()
                result = await s.call_tool("wait_for_file", {"path": path}, progress_callback=progress)
        print(json.dumps({"text": result.content[0].text, "progress": seen}), flush=True)

    anyio.run(main, sys.argv[1], sys.argv[2])
""")


def progress_stack(mcpwatch, python):
    """progress_server.py over Streamable HTTP with mcpwatch's reverse proxy in front, both listening."""
    upstream_port, serve_port, listen_port = free_port(), free_port(), free_port()
    server = subprocess.Popen([python, str(pathlib.Path(__file__).parent / "progress_server.py"), "--port", str(upstream_port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proxy = subprocess.Popen([mcpwatch, "proxy", "--upstream", f"http://127.0.0.1:{upstream_port}/mcp", "--serve-http",
                              f"127.0.0.1:{serve_port}", "--listen", f"127.0.0.1:{listen_port}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: port_open(upstream_port), 30, what="the progress server")
    wait_for(lambda: port_open(serve_port), 30, what="mcpwatch's MCP endpoint")
    return server, proxy, serve_port, listen_port


@pytest.mark.parametrize("sdk", ["sdk2_python", "sdk1_python"])
def test_progress_streams_through_while_the_call_runs(mcpwatch, peers, tmp_path, sdk):
    server, proxy, serve_port, listen_port = progress_stack(mcpwatch, peers[sdk])
    try:
        marker = tmp_path / "progress-arrived"
        done = subprocess.run([peers[sdk], "-c", PROGRESS_CLIENT, f"http://127.0.0.1:{serve_port}/mcp", str(marker)],
                              capture_output=True, text=True, timeout=90)
        assert done.returncode == 0, done.stderr[-3000:]
        out = json.loads(done.stdout.strip().splitlines()[-1])
        assert out["text"] == "seen", out
        assert out["progress"] == [[1.0, 2.0, "waiting for the client"]], out
        report = json.loads(get(f"http://127.0.0.1:{listen_port}/api/report"))
        tool = next(t for t in report["targets"] if t["name"] == "wait_for_file")
        assert tool["calls"] == 1 and tool["outcomes"]["ok"] == 1
        assert any(n["method"] == "notifications/progress" for n in report["notifications"]), report["notifications"]
    finally:
        stop(proxy, server)


# An upstream that accepts the connection and the request, then never answers.
SILENT_UPSTREAM = textwrap.dedent("""
    import socket, sys, threading
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", int(sys.argv[1])))
    server.listen(16)
    held = []
    while True:
        conn, _ = server.accept()
        held.append(conn)  # read nothing back, answer nothing, close nothing
""")


def test_upstream_that_never_answers_gives_504_and_a_jsonrpc_error(mcpwatch, peers):
    upstream_port, serve_port, listen_port = free_port(), free_port(), free_port()
    silent = subprocess.Popen([peers["sdk2_python"], "-c", SILENT_UPSTREAM, str(upstream_port)])
    proxy = subprocess.Popen([mcpwatch, "proxy", "--upstream", f"http://127.0.0.1:{upstream_port}/mcp", "--serve-http",
                              f"127.0.0.1:{serve_port}", "--listen", f"127.0.0.1:{listen_port}", "--upstream-timeout", "1"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: port_open(upstream_port), 30, what="the silent upstream")
        wait_for(lambda: port_open(serve_port), 30, what="mcpwatch's MCP endpoint")
        request = {"jsonrpc": "2.0", "id": "slow-1", "method": "tools/call", "params": {"name": "echo", "arguments": {"text": "x"}}}
        status, _, text = post(f"http://127.0.0.1:{serve_port}/mcp", json.dumps(request).encode(), timeout=30)
        assert status == 504, text
        error = json.loads(text)
        assert error["id"] == "slow-1" and error["error"]["code"] == -32002
        assert "did not answer within" in error["error"]["message"], error
        report = json.loads(get(f"http://127.0.0.1:{listen_port}/api/report"))
        echo = next(t for t in report["targets"] if t["name"] == "echo")
        assert echo["outcomes"]["lost"] == 1
    finally:
        for p in (proxy, silent):
            p.kill()
            p.wait(10)


ERROR_PAGE_UPSTREAM = textwrap.dedent("""
    import sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = b"<html><body>502 Bad Gateway</body></html>"
            self.send_response(502)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args):
            pass
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
""")


def test_an_error_page_from_the_upstream_is_relayed_and_ends_the_call(mcpwatch, peers):
    # A load balancer's HTML error page is not a malformed MCP message: it is relayed as it is, the call it answered
    # ends as lost (it will never get its response), and no anomaly is counted.
    upstream_port, serve_port, listen_port = free_port(), free_port(), free_port()
    upstream = subprocess.Popen([peers["sdk2_python"], "-c", ERROR_PAGE_UPSTREAM, str(upstream_port)])
    proxy = subprocess.Popen([mcpwatch, "proxy", "--upstream", f"http://127.0.0.1:{upstream_port}/mcp", "--serve-http",
                              f"127.0.0.1:{serve_port}", "--listen", f"127.0.0.1:{listen_port}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: port_open(upstream_port) and port_open(serve_port) and port_open(listen_port), 30, what="the endpoints")
        request = {"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": "echo", "arguments": {"text": "x"}}}
        status, headers, text = post(f"http://127.0.0.1:{serve_port}/mcp", json.dumps(request).encode())
        assert (status, text) == (502, "<html><body>502 Bad Gateway</body></html>")
        assert {k.lower(): v for k, v in headers.items()}["content-type"] == "text/html"
        report = json.loads(get(f"http://127.0.0.1:{listen_port}/api/report"))
        echo = next(t for t in report["targets"] if t["name"] == "echo")
        assert echo["calls"] == 1 and echo["outcomes"]["lost"] == 1
        assert report["overview"]["in_flight"] == 0
        assert report["anomalies"]["total"] == 0
    finally:
        stop(proxy, upstream)


def test_mcp_proxy_as_the_upstream(mcpwatch, peers):
    # mcp-proxy (PyPI) serving the SDK echo server over Streamable HTTP, with mcpwatch's reverse proxy in front.
    upstream_port, serve_port, listen_port = free_port(), free_port(), free_port()
    upstream = subprocess.Popen([peers["mcp_proxy"], "--port", str(upstream_port), "--host", "127.0.0.1", "--",
                                 peers["sdk2_python"], peers["echo_server"]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proxy = subprocess.Popen([mcpwatch, "proxy", "--upstream", f"http://127.0.0.1:{upstream_port}/mcp", "--serve-http",
                              f"127.0.0.1:{serve_port}", "--listen", f"127.0.0.1:{listen_port}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: port_open(upstream_port), 30, what="mcp-proxy")
        wait_for(lambda: port_open(serve_port), 30, what="mcpwatch's MCP endpoint")
        calls = CALLS[:3]
        direct = run_client(peers["sdk2_python"], f"http://127.0.0.1:{upstream_port}/mcp", calls)
        proxied = run_client(peers["sdk2_python"], f"http://127.0.0.1:{serve_port}/mcp", calls)
        assert proxied == direct
        report = json.loads(get(f"http://127.0.0.1:{listen_port}/api/report"))
        targets = {(t["method"], t["name"]): t for t in report["targets"]}
        assert targets[("tools/call", "echo")]["outcomes"]["ok"] == 2
        assert targets[("tools/call", "sleep_ms")]["outcomes"]["ok"] == 1
        assert report["anomalies"]["total"] == 0
        assert len(report["session"]["sessions"]) == 1
    finally:
        stop(proxy, upstream)


def test_a_client_that_leaves_mid_stream_harms_nothing(mcpwatch, peers, tmp_path):
    # A raw client starts the progress tool, reads the progress event of the SSE answer, and hangs up. mcpwatch stays
    # up, and the next client's call through it works.
    import http.client
    server, proxy, serve_port, listen_port = progress_stack(mcpwatch, peers["sdk2_python"])
    try:
        url = f"http://127.0.0.1:{serve_port}/mcp"
        init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "leaver", "version": "1"}}}
        status, headers, body = post(url, json.dumps(init).encode())
        assert status == 200, body
        session = {k.lower(): v for k, v in headers.items()}["mcp-session-id"]
        common = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
                  "Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-06-18"}
        post(url, json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}).encode(), common)
        call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                "params": {"name": "wait_for_file", "arguments": {"path": str(tmp_path / "never")}, "_meta": {"progressToken": "p"}}}
        conn = http.client.HTTPConnection("127.0.0.1", serve_port, timeout=15)
        conn.request("POST", "/mcp", body=json.dumps(call), headers=common)
        response = conn.getresponse()
        assert response.status == 200 and response.getheader("Content-Type").startswith("text/event-stream")
        first = b""
        while b"notifications/progress" not in first:
            first += response.read1(4096)
        conn.close()  # gone mid-stream, while the tool still runs
        marker = tmp_path / "progress-arrived"
        done = subprocess.run([peers["sdk2_python"], "-c", PROGRESS_CLIENT, url, str(marker)], capture_output=True, text=True, timeout=90)
        assert done.returncode == 0, done.stderr[-3000:]
        assert json.loads(done.stdout.strip().splitlines()[-1])["text"] == "seen"
        assert proxy.poll() is None
        assert json.loads(get(f"http://127.0.0.1:{listen_port}/api/health"))["status"] in ("healthy", "degraded")
    finally:
        stop(proxy, server)

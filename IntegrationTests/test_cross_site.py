"""Cross-site protection (issue 15): no web page can run a watched server's tools or read what mcpwatch measured.

Every port mcpwatch serves (monitoring, reverse proxy, bridge) answers only Host names of this machine's loopback
interface and the names allowed with --allow-host (DNS rebinding); the monitoring API refuses other pages' origins;
a request that acts (POST /api/call_tool) needs Content-Type: application/json and X-MCPWatch-Request: 1.
Whether a tool ran is checked from the server's side: every line the server reads is copied to a file by `tee`.
"""
import http.client
import http.server
import json
import os
import pathlib
import shutil
import signal
import subprocess
import threading

import pytest

from conftest import free_port, wait_for
from test_dashboard import _make_driver, _require_browser
from test_http_proxy import port_open

CALL = json.dumps({"name": "echo", "arguments": {"text": "csrf"}}).encode()


def request(port, method, path, headers=None, body=None):
    """(status, headers, body text) of one request with exactly these headers (Host included)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        headers = dict(headers or {})
        headers.setdefault("Host", f"127.0.0.1:{port}")
        for name, value in headers.items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode(errors="replace")
    finally:
        connection.close()


class WatchedServer:
    """`mcpwatch proxy` in front of the demo server, whose input is copied to a file; initialized by a client that
    stays connected (the explorer needs a session)."""

    def __init__(self, mcpwatch, tmp_path, *extra):
        self.listen_port = free_port()
        self.received = tmp_path / "server-input.jsonl"
        self.received.write_text("")
        server = f"tee -a {self.received} | exec {mcpwatch} demo-server"
        self.proc = subprocess.Popen(
            [mcpwatch, "proxy", "--listen", f"127.0.0.1:{self.listen_port}", *extra, "--", "sh", "-c", server],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(tmp_path / "proxy.log", "w"))
        self.send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                   "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
        assert b'"result"' in self.proc.stdout.readline()
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        wait_for(lambda: port_open(self.listen_port), 30, what="mcpwatch's monitoring server")

    def send(self, message):
        self.proc.stdin.write((json.dumps(message) + "\n").encode())
        self.proc.stdin.flush()

    def tool_calls_received(self):
        return [json.loads(line) for line in self.received.read_text().splitlines() if '"tools/call"' in line]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def watched(mcpwatch, tmp_path):
    started = []

    def start(*extra):
        w = WatchedServer(mcpwatch, tmp_path, *extra)
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()


def test_the_issues_request_is_refused_and_the_tool_never_runs(watched):
    w = watched()
    port = w.listen_port
    # The issue's curl: a "simple" request from another page.
    status, _, body = request(port, "POST", "/api/call_tool",
                              {"Origin": "http://evil.example", "Content-Type": "text/plain"}, CALL)
    assert status == 403 and "http.allowed_origins" in body, body
    # Without an Origin (a page that strips it cannot exist, but a script might): still no simple content types.
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        status, _, body = request(port, "POST", "/api/call_tool", {"Content-Type": content_type, "X-MCPWatch-Request": "1"}, CALL)
        assert status == 415, (content_type, status, body)
    status, _, body = request(port, "POST", "/api/call_tool", {"Content-Type": "application/json"}, CALL)
    assert status == 403 and "X-MCPWatch-Request: 1" in body, body
    # Another page on this very machine is another origin too.
    status, _, _ = request(port, "POST", "/api/call_tool", {"Origin": "http://127.0.0.1:1", "Content-Type": "application/json",
                                                            "X-MCPWatch-Request": "1"}, CALL)
    assert status == 403
    assert w.tool_calls_received() == []

    # What the dashboard sends works, and the call reaches the server.
    status, headers, body = request(port, "POST", "/api/call_tool", {"Origin": f"http://127.0.0.1:{port}", "Content-Type": "application/json",
                                                                     "X-MCPWatch-Request": "1"}, CALL)
    assert status == 200 and json.loads(body)["outcome"] == "ok", body
    assert "access-control-allow-origin" not in headers
    assert [c["params"]["arguments"]["text"] for c in w.tool_calls_received()] == ["csrf"]


def test_a_foreign_host_is_refused_and_allowed_names_work(watched):
    w = watched("--allow-host", "dash.example")
    port = w.listen_port
    for path in ("/", "/api/report", "/metrics", "/api/explorer/tools", "/api/openapi.json"):
        status, headers, body = request(port, "GET", path, {"Host": f"attacker.example:{port}"})
        assert status == 403, (path, status)
        error = json.loads(body)["error"]
        assert error["setting"] == "http.allowed_hosts" and "--allow-host attacker.example" in error["message"], body
        assert "access-control-allow-origin" not in headers
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", f"dash.example:{port}", "dash.example"):
        status, _, body = request(port, "GET", "/api/report", {"Host": host})
        assert status == 200, (host, body)
    assert request(port, "GET", "/api/report", {"Host": "dash.example.attacker.example"})[0] == 403


def test_an_allowed_origin_gets_cors_and_nothing_else_does(watched):
    w = watched("--allow-origin", "https://app.example")
    port = w.listen_port
    status, headers, _ = request(port, "GET", "/api/report", {"Origin": "https://app.example"})
    assert status == 200 and headers["access-control-allow-origin"] == "https://app.example" and headers["vary"] == "Origin"
    status, headers, _ = request(port, "OPTIONS", "/api/call_tool", {"Origin": "https://app.example",
                                                                      "Access-Control-Request-Method": "POST",
                                                                      "Access-Control-Request-Headers": "content-type,x-mcpwatch-request"})
    assert status == 204 and "X-MCPWatch-Request" in headers["access-control-allow-headers"]
    status, headers, _ = request(port, "OPTIONS", "/api/call_tool", {"Origin": "https://other.example",
                                                                      "Access-Control-Request-Method": "POST"})
    assert status == 403 and "access-control-allow-origin" not in headers
    status, headers, _ = request(port, "GET", "/api/report")
    assert status == 200 and "access-control-allow-origin" not in headers


def test_every_mcp_endpoint_refuses_a_foreign_host(mcpwatch, tmp_path):
    """The reverse proxy and the bridge check Host too (before anything reaches the server)."""
    upstream_port, proxy_port, bridge_port = free_port(), free_port(), free_port()
    received = tmp_path / "bridge-input.jsonl"
    processes = [
        subprocess.Popen([mcpwatch, "bench-server", "--http", f"127.0.0.1:{upstream_port}"], stderr=subprocess.DEVNULL),
        subprocess.Popen([mcpwatch, "proxy", "--no-http", "--upstream", f"http://127.0.0.1:{upstream_port}/mcp",
                          "--serve-http", f"127.0.0.1:{proxy_port}", "--allow-host", "mcp.example"], stderr=subprocess.DEVNULL),
        subprocess.Popen([mcpwatch, "proxy", "--no-http", "--serve-http", f"127.0.0.1:{bridge_port}", "--", "sh", "-c",
                          f"tee -a {received} | exec {mcpwatch} demo-server"], stderr=subprocess.DEVNULL),
    ]
    try:
        for port in (upstream_port, proxy_port, bridge_port):
            wait_for(lambda: port_open(port), 30, what=f"port {port}")
        initialize = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}).encode()
        mcp = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        for port in (proxy_port, bridge_port):
            status, _, body = request(port, "POST", "/mcp", dict(mcp, Host=f"attacker.example:{port}"), initialize)
            assert status == 403 and "http.allowed_hosts" in body, (port, status, body)
            assert json.loads(body)["error"]["code"] == -32600
            status, _, body = request(port, "POST", "/mcp", dict(mcp, Host=f"localhost:{port}"), initialize)
            assert status == 200 and '"result"' in body, (port, status, body)
        status, _, body = request(proxy_port, "POST", "/mcp", dict(mcp, Host="mcp.example"), initialize)
        assert status == 200, body
        # A page whose name only starts like a loopback address is foreign (found in review), and no MCP POST may be a
        # "simple" request: both would have let a page run tools on a server without sessions.
        for port in (proxy_port, bridge_port):
            status, _, body = request(port, "POST", "/mcp", dict(mcp, Origin="http://127.0.0.1.evil.example"), initialize)
            assert status == 403, (port, status, body)
            status, _, body = request(port, "POST", "/mcp", dict(mcp, **{"Content-Type": "text/plain;charset=UTF-8"}), initialize)
            assert status == 415 and "application/json" in body, (port, status, body)
        assert sum('"initialize"' in line for line in received.read_text().splitlines()) == 1
    finally:
        for p in processes:
            p.send_signal(signal.SIGTERM)
        for p in processes:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()


def refused(port, method):
    """How many requests of this method mcpwatch answered with 403, from its own /metrics."""
    _, _, text = request(port, "GET", "/metrics")
    total = 0
    for line in text.splitlines():
        if line.startswith("http_server_requests_total{") and f'http_request_method="{method}"' in line \
                and 'http_response_status_code="403"' in line:
            total += int(float(line.rsplit(" ", 1)[1]))
    return total


EVIL_PAGE = """<!doctype html><title>evil</title>
<iframe name="sink" id="sink"></iframe>
<form id="form" method="POST" action="{target}/api/call_tool" enctype="text/plain" target="sink">
  <input name='{{"name":"echo","arguments":{{"text":"form","x":"' value='"}}}}'>
</form>
<script>
  const done = [];
  const body = JSON.stringify({{name: "echo", arguments: {{text: "fetch"}}}});
  fetch("{target}/api/call_tool", {{method: "POST", mode: "no-cors", headers: {{"Content-Type": "text/plain"}}, body}})
    .then(() => done.push("simple"), () => done.push("simple"));
  fetch("{target}/api/call_tool", {{method: "POST", headers: {{"Content-Type": "application/json", "X-MCPWatch-Request": "1"}}, body}})
    .then(() => done.push("preflighted:answered"), () => done.push("preflighted:blocked"));
  fetch("{target}/api/report").then(r => r.text()).then(() => done.push("read:answered"), () => done.push("read:blocked"));
  document.getElementById("sink").addEventListener("load", () => done.push("form"));
  document.getElementById("form").submit();
  window.done = done;
</script>
"""


def test_a_page_from_another_origin_cannot_run_a_tool_in_a_real_browser(watched, tmp_path):
    _require_browser()
    w = watched()
    target = f"http://127.0.0.1:{w.listen_port}"
    page = EVIL_PAGE.format(target=target).encode()

    class Evil(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    evil = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Evil)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    # A name the browser resolves to 127.0.0.1, as a DNS rebinding attacker's would after the rebind.
    driver = _make_driver(extra_args=["--host-resolver-rules=MAP rebind.test 127.0.0.1"])
    try:
        driver.get(f"http://127.0.0.1:{evil.server_address[1]}/")
        wait_for(lambda: len(driver.execute_script("return window.done || []")) >= 4, 30, what="the evil page's requests")
        # They all reached mcpwatch and were refused: the simple fetch and the form POST (403, a foreign Origin), and
        # the preflight of the one with the header (so its POST was never sent).
        wait_for(lambda: refused(w.listen_port, "POST") >= 2 and refused(w.listen_port, "OPTIONS") >= 1, 30,
                 what="mcpwatch to count the refused requests")
        outcomes = set(driver.execute_script("return window.done"))
        # The preflight is refused, so the browser never sends the POST; reading is blocked (no CORS headers).
        assert "preflighted:blocked" in outcomes and "read:blocked" in outcomes, outcomes

        # After a rebind, the attacker's name reaches mcpwatch, which refuses it.
        driver.get(f"http://rebind.test:{w.listen_port}/api/report")
        text = driver.find_element("tag name", "body").text
        assert "DNS rebinding protection" in text and '"targets"' not in text, text
    finally:
        driver.quit()
        evil.shutdown()
    assert w.tool_calls_received() == [], "a tools/call reached the server"

    # The dashboard's own explorer still calls the tool (from the dashboard's page, same origin).
    driver = _make_driver()
    try:
        driver.get(target + "/")
        result = driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            fetch("api/call_tool", {method: "POST", headers: {"Content-Type": "application/json", "X-MCPWatch-Request": "1"},
                                    body: JSON.stringify({name: "echo", arguments: {text: "from the dashboard"}})})
              .then(r => r.json()).then(j => done(j.outcome), e => done("failed: " + e));""")
        assert result == "ok"
    finally:
        driver.quit()
    assert [c["params"]["arguments"]["text"] for c in w.tool_calls_received()] == ["from the dashboard"]

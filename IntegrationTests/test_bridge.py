"""`mcpwatch proxy --serve-http HOST:PORT -- COMMAND`: a stdio MCP server served to many Streamable HTTP clients (the
official Python SDK's, 1.x and 2.x), one process per session or one shared by all (--shared-server)."""
import json
import pathlib
import signal
import subprocess
import textwrap
import time

import pytest

from conftest import free_port, wait_for
from test_http_proxy import CALLS, PROGRESS_CLIENT, assert_calls_measured, get, port_open, post, run_client
from test_explorer_http import explorer as explorer_request

HERE = pathlib.Path(__file__).parent

# SDK 2.x: COUNT sessions at once, each with five concurrent echo calls of its own text; prints what came back.
MANY_CLIENTS = textwrap.dedent("""
    import json, sys
    import anyio
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client as connect

    async def one(url, n, results):
        async with connect(url) as streams, ClientSession(streams[0], streams[1]) as s:
            await s.initialize()
            got = []
            async def call(text):
                result = await s.call_tool("echo", {"text": text})
                got.append([text, result.content[0].text])
            async with anyio.create_task_group() as tg:
                for i in range(5):
                    tg.start_soon(call, f"session {n} call {i}")
            results[n] = got

    async def main(url, count):
        results = {}
        with anyio.fail_after(180):
            async with anyio.create_task_group() as tg:
                for n in range(count):
                    tg.start_soon(one, url, n, results)
        pairs = [pair for got in results.values() for pair in got]
        print(json.dumps({"sessions": len(results), "calls": len(pairs), "crossed": [p for p in pairs if p[0] != p[1]]}))

    anyio.run(main, sys.argv[1], int(sys.argv[2]))
""")

INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw-test", "version": "1"}}}


class Bridge:
    """mcpwatch serving a stdio command over Streamable HTTP; its log in a file."""

    def __init__(self, mcpwatch, command, extra, log_path):
        self.serve_port, self.listen_port = free_port(), free_port()
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(
            [mcpwatch, "proxy", "--serve-http", f"127.0.0.1:{self.serve_port}", "--listen", f"127.0.0.1:{self.listen_port}",
             *extra, "--", *command],
            stdout=subprocess.DEVNULL, stderr=self.log)
        wait_for(lambda: port_open(self.serve_port), 30, what="the bridge's MCP endpoint")
        wait_for(lambda: port_open(self.listen_port), 30, what="mcpwatch's monitoring server")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.serve_port}/mcp"

    def api(self, path):
        return json.loads(get(f"http://127.0.0.1:{self.listen_port}{path}"))

    def health(self):
        """/api/health, whatever its status (503 when unhealthy)."""
        import urllib.error
        try:
            return self.api("/api/health")
        except urllib.error.HTTPError as error:
            assert error.code == 503
            return json.loads(error.read())

    def log_text(self):
        return pathlib.Path(self.log_path).read_text()

    def servers_started(self):
        return self.log_text().count("started server")

    def initialize(self):
        """A raw session: returns its id."""
        status, headers, body = post(self.url, json.dumps(INIT).encode())
        assert status == 200, body
        assert json.loads(body)["result"]["serverInfo"]["name"]
        session = {k.lower(): v for k, v in headers.items()}["mcp-session-id"]
        status, _, _ = post(self.url, json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}).encode(),
                            {"Mcp-Session-Id": session})
        assert status == 202
        return session

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


@pytest.fixture
def bridge(mcpwatch, tmp_path):
    started = []

    def start(command, *extra):
        b = Bridge(mcpwatch, command, extra, tmp_path / f"bridge-{len(started)}.log")
        started.append(b)
        return b

    yield start
    for b in started:
        b.stop()


def echo_server(peers, sdk="sdk2_python"):
    return [peers[sdk], peers["echo_server"]]


@pytest.mark.parametrize("mode", [[], ["--shared-server"]], ids=["per-session", "shared"])
@pytest.mark.parametrize("sdk", ["sdk2_python", "sdk1_python"])
def test_sdk_client_gets_the_stdio_servers_answers_and_every_call_is_measured(bridge, mcpwatch, peers, sdk, mode):
    b = bridge(echo_server(peers, sdk), *mode)
    proxied = run_client(peers[sdk], b.url)
    assert proxied[0] == {"server": "echo-peer"}
    # The same client over stdio, through mcpwatch's stdio proxy, gets the same results.
    direct = subprocess.run(
        [peers[sdk], "-c", STDIO_CLIENT, json.dumps([mcpwatch, "proxy", "--no-http", "--", *echo_server(peers, sdk)]), json.dumps(CALLS)],
        capture_output=True, text=True, timeout=90)
    assert direct.returncode == 0, direct.stderr[-3000:]
    assert [json.loads(line) for line in direct.stdout.splitlines() if line.startswith("{")][:-1] == proxied
    assert "slept 300 ms" in json.dumps(proxied[4])

    report = b.api("/api/report")
    assert_calls_measured(report)
    [session] = report["session"]["sessions"]
    assert session["client"]["name"] == "mcp"
    assert session["calls"] == sum(t["calls"] for t in report["targets"] if t["direction"] == "client_to_server")
    # The client ended its session with DELETE.
    assert b.api("/api/sessions")["session_count"] == 0
    assert 'network_transport="tcp"' in get(f"http://127.0.0.1:{b.listen_port}/metrics")


# The SDK's stdio client, for the comparison above: argv[1] is the server command as JSON.
STDIO_CLIENT = textwrap.dedent("""
    import json, sys
    import anyio
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    def dump(model):
        return json.dumps(model.model_dump(mode="json", by_alias=True, exclude_none=True), sort_keys=True)

    async def main(command, calls):
        params = StdioServerParameters(command=command[0], args=command[1:])
        with anyio.fail_after(60):
            async with stdio_client(params) as streams, ClientSession(streams[0], streams[1]) as s:
                init = await s.initialize()
                print(json.dumps({"server": init.model_dump(mode="json", by_alias=True)["serverInfo"]["name"]}), flush=True)
                print(dump(await s.list_tools()), flush=True)
                for name, arguments in calls:
                    print(dump(await s.call_tool(name, arguments)), flush=True)
        print(json.dumps({"done": True}), flush=True)

    anyio.run(main, json.loads(sys.argv[1]), json.loads(sys.argv[2]))
""")


def run_many(peers, url, count):
    done = subprocess.run([peers["sdk2_python"], "-c", MANY_CLIENTS, url, str(count)], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_64_sessions_share_one_server_without_a_crossed_response(bridge, peers):
    # Every session numbers its requests from the same start, and five run at once in each: only the id rewriting
    # keeps 320 concurrent calls with colliding ids apart.
    b = bridge(echo_server(peers), "--shared-server")
    out = run_many(peers, b.url, 64)
    assert out == {"sessions": 64, "calls": 320, "crossed": []}
    assert b.servers_started() == 1
    report = b.api("/api/report")
    targets = {(t["method"], t["name"]): t for t in report["targets"]}
    assert targets[("tools/call", "echo")]["calls"] == 320
    assert targets[("tools/call", "echo")]["outcomes"]["ok"] == 320
    assert targets[("initialize", "initialize")]["calls"] == 64
    assert report["anomalies"]["total"] == 0
    sessions = b.api("/api/sessions")
    assert sessions["sessions_total"] == 64
    # Each session's own calls (initialize, five echo calls, and the tools/list the SDK sends to validate results).
    assert all(s["calls"] >= 6 for s in sessions["sessions"])
    assert sum(s["calls"] for s in sessions["sessions"]) == sum(t["calls"] for t in report["targets"] if t["direction"] == "client_to_server")


def test_64_sessions_each_with_a_server_of_its_own(bridge, mcpwatch, peers):
    # A small server (mcpwatch's own bench-server) so that 64 processes fit on a test machine.
    b = bridge([mcpwatch, "bench-server"])
    out = run_many(peers, b.url, 64)
    assert out == {"sessions": 64, "calls": 320, "crossed": []}
    assert b.servers_started() == 64
    report = b.api("/api/report")
    targets = {(t["method"], t["name"]): t for t in report["targets"]}
    assert targets[("tools/call", "echo")]["outcomes"]["ok"] == 320
    # Each client ended its session with DELETE, which ends its server.
    wait_for(lambda: b.log_text().count("server exited with status 0") == 64, 30, what="the 64 servers to exit")
    assert b.api("/api/sessions")["session_count"] == 0


@pytest.mark.parametrize("mode", [[], ["--shared-server"]], ids=["per-session", "shared"])
def test_progress_streams_through_while_the_call_runs(bridge, peers, tmp_path, mode):
    b = bridge([peers["sdk2_python"], str(HERE / "progress_server.py")], *mode)
    marker = tmp_path / "progress-arrived"
    done = subprocess.run([peers["sdk2_python"], "-c", PROGRESS_CLIENT, b.url, str(marker)], capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out == {"text": "seen", "progress": [[1.0, 2.0, "waiting for the client"]]}
    report = b.api("/api/report")
    assert any(n["method"] == "notifications/progress" for n in report["notifications"])


def test_a_real_third_party_server_shared_by_two_sdk_generations(bridge, peers):
    b = bridge([peers["time_server"]], "--shared-server")
    calls = [["get_current_time", {"timezone": "UTC"}], ["convert_time", {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"}]]
    for sdk in ("sdk2_python", "sdk1_python"):
        out = run_client(peers[sdk], b.url, calls)
        assert out[0] == {"server": "mcp-time"}
        assert '"timezone": "UTC"' in out[2]["content"][0]["text"] or "UTC" in json.dumps(out[2])
        assert "21:00" in json.dumps(out[3])
    assert b.servers_started() == 1
    report = b.api("/api/report")
    targets = {(t["method"], t["name"]): t for t in report["targets"]}
    assert targets[("tools/call", "get_current_time")]["outcomes"]["ok"] == 2
    assert targets[("initialize", "initialize")]["calls"] == 2


def test_session_limit_and_delete(bridge, mcpwatch):
    b = bridge([mcpwatch, "bench-server"], "--max-sessions", "2")
    first, second = b.initialize(), b.initialize()
    status, _, body = post(b.url, json.dumps(INIT).encode())
    assert status == 503
    assert "--max-sessions" in json.loads(body)["error"]["message"]
    request = urllib_request("DELETE", b.url, {"Mcp-Session-Id": first})
    assert request == 200
    # Its server ends with it, and that is no failure: health stays healthy.
    wait_for(lambda: "server exited with status 0" in b.log_text(), 20, what="the deleted session's server to exit")
    assert b.health()["status"] == "healthy"
    assert b.initialize()
    # The deleted session is gone: 404, as the specification says, so that a client starts a new one.
    status, _, body = post(b.url, json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}).encode(), {"Mcp-Session-Id": first})
    assert status == 404 and "no such session" in json.loads(body)["error"]["message"]
    status, _, body = post(b.url, json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}).encode(), {"Mcp-Session-Id": second})
    assert status == 200 and json.loads(body)["result"]["tools"]


def test_idle_session_ends_with_its_server(bridge, mcpwatch):
    b = bridge([mcpwatch, "bench-server"], "--session-idle-timeout", "1")
    session = b.initialize()
    wait_for(lambda: "session closed" in b.log_text() and "server exited" in b.log_text(), 20, what="the idle session to end")
    assert "idle for" in b.log_text()
    status, _, _ = post(b.url, json.dumps({"jsonrpc": "2.0", "id": 2, "method": "ping"}).encode(), {"Mcp-Session-Id": session})
    assert status == 404


# Answers initialize, then exits on the first tools/call without answering it.
DYING_SERVER = textwrap.dedent("""
    import json, sys
    for line in sys.stdin:
        msg = json.loads(line)
        if msg.get("method") == "initialize":
            print(json.dumps({"jsonrpc": "2.0", "id": msg["id"], "result": {"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                  "serverInfo": {"name": "dying", "version": "1"}}}), flush=True)
        elif msg.get("method") == "tools/call":
            sys.exit(3)
""")


@pytest.mark.parametrize("mode", [[], ["--shared-server"]], ids=["per-session", "shared"])
def test_a_server_that_dies_mid_call_gives_an_error_and_the_next_session_gets_a_new_one(bridge, peers, mode):
    b = bridge([peers["sdk2_python"], "-c", DYING_SERVER], *mode)
    session = b.initialize()
    call = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "x", "arguments": {}}}
    status, _, body = post(b.url, json.dumps(call).encode(), {"Mcp-Session-Id": session})
    assert status == 502
    error = json.loads(body)
    assert error["id"] == 7 and error["error"]["code"] == -32000
    assert "exited with status 3" in error["error"]["message"]
    status, _, _ = post(b.url, json.dumps({"jsonrpc": "2.0", "id": 8, "method": "ping"}).encode(), {"Mcp-Session-Id": session})
    assert status == 404
    health = b.health()
    assert health["status"] == "unhealthy" and "exited with status 3" in health["summary"]
    assert b.initialize()  # a new session starts a new server
    assert b.health()["status"] != "unhealthy"
    assert b.servers_started() == 2
    report = b.api("/api/report")
    assert report["overview"]["outcomes"]["lost"] == 1


def test_batch_gets_an_array_and_shared_ids_do_not_collide(bridge, mcpwatch):
    b = bridge([mcpwatch, "bench-server"], "--shared-server")
    one, two = b.initialize(), b.initialize()
    batch = [{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "echo", "arguments": {"text": f"{who} {i}"}}}
             for i in range(2) for who in ["x"]]
    batch[1]["id"] = "b"
    for session, who in ((one, "one"), (two, "two")):
        for item in batch:
            item["params"]["arguments"]["text"] = f"{who} {item['id']}"
        status, headers, body = post(b.url, json.dumps(batch).encode(), {"Mcp-Session-Id": session})
        assert status == 200, body
        answers = {a["id"]: a["result"]["content"][0]["text"] for a in json.loads(body)}
        assert answers == {1: f"{who} 1", "b": f"{who} b"}


def test_protocol_errors(bridge, mcpwatch):
    b = bridge([mcpwatch, "bench-server"])
    ping = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}).encode()
    status, _, body = post(b.url, ping)
    assert status == 400 and "Mcp-Session-Id" in json.loads(body)["error"]["message"]
    status, _, body = post(b.url, ping, {"Mcp-Session-Id": "nope"})
    assert status == 404
    status, _, body = post(b.url, ping, {"Origin": "http://evil.example"})
    assert status == 403
    status, _, body = post(b.url.replace("/mcp", "/other"), ping)
    assert status == 404 and "/mcp" in json.loads(body)["error"]["message"]
    assert urllib_request("PUT", b.url, {}) == 405
    session = b.initialize()
    # Not JSON, or not JSON-RPC: 400 with a JSON-RPC error, counted, never sent to the server.
    status, _, body = post(b.url, b'{"jsonrpc":"2.0","id":1,', {"Mcp-Session-Id": session})
    assert status == 400 and json.loads(body)["error"]["code"] == -32700
    status, _, body = post(b.url, b'[]', {"Mcp-Session-Id": session})
    assert status == 400 and json.loads(body)["error"]["code"] == -32600
    # A pretty-printed request (line breaks between tokens, and in a string as an escape) reaches the stdio server
    # as one line.
    pretty = json.dumps({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "echo", "arguments": {"text": "a\nb"}}}, indent=2)
    status, _, body = post(b.url, pretty.encode(), {"Mcp-Session-Id": session})
    assert status == 200, body
    assert json.loads(body)["result"]["content"][0]["text"] == "a\nb"
    assert b.api("/api/report")["anomalies"]["total"] == 2
    # One GET stream per session.
    import http.client
    first = http.client.HTTPConnection("127.0.0.1", b.serve_port, timeout=10)
    first.request("GET", "/mcp", headers={"Accept": "text/event-stream", "Mcp-Session-Id": session})
    assert first.getresponse().status == 200
    assert urllib_request("GET", b.url, {"Accept": "text/event-stream", "Mcp-Session-Id": session}) == 409
    first.close()
    assert b.servers_started() == 1


def urllib_request(method, url, headers):
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers, method=method), timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize("sdk", ["sdk2_python", "sdk1_python"])
def test_cancellation_reaches_the_shared_server_for_the_right_session(bridge, peers, sdk):
    # Two sessions both call with id 7; the first cancels its call. The cancel must reach the server as the rewritten
    # id of that session's call only: the other call completes, and the cancelled POST ends at once.
    import threading
    b = bridge(echo_server(peers, sdk), "--shared-server")
    sessions = [b.initialize(), b.initialize()]
    results = {}

    def call(i, ms):
        body = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "sleep_ms", "arguments": {"ms": ms}}}
        results[i] = post(b.url, json.dumps(body).encode(), {"Mcp-Session-Id": sessions[i]}, timeout=30)

    threads = [threading.Thread(target=call, args=(0, 20_000)), threading.Thread(target=call, args=(1, 500))]
    for t in threads:
        t.start()
    wait_for(lambda: b.api("/api/report")["overview"]["in_flight"] == 2, 10, what="both calls to be in flight")
    cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 7, "reason": "test"}}
    status, _, _ = post(b.url, json.dumps(cancel).encode(), {"Mcp-Session-Id": sessions[0]})
    assert status == 202
    for t in threads:
        t.join(30)
    status, _, body = results[0]
    assert status == 200 and json.loads(body)["error"]["code"] == -32800
    status, _, body = results[1]
    assert status == 200 and json.loads(body)["result"]["content"][0]["text"] == "slept 500 ms"
    report = b.api("/api/report")
    assert report["overview"]["outcomes"]["cancelled"] == 1
    assert report["overview"]["outcomes"]["lost"] == 0
    assert report["anomalies"]["total"] == 0


@pytest.mark.parametrize("mode", [[], ["--shared-server"]], ids=["per-session", "shared"])
def test_the_dashboard_explorer_works_through_the_bridge(bridge, peers, mode):
    b = bridge([peers["time_server"]], *mode)
    base = f"http://127.0.0.1:{b.listen_port}"

    def explorer(path, body=None):
        return explorer_request(base, path, body)

    # No session yet: nothing to send on.
    status, body = explorer("/api/explorer/tools")
    assert status == 503, body
    session = b.initialize()
    status, tools = explorer("/api/explorer/tools")
    assert status == 200, tools
    assert sorted(t["name"] for t in tools["tools"]) == ["convert_time", "get_current_time"]
    status, call = explorer("/api/call_tool", {"name": "get_current_time", "arguments": {"timezone": "UTC"}})
    assert status == 200 and call["outcome"] == "ok", call
    assert json.loads(call["result"]["content"][0]["text"])["timezone"] == "UTC"
    # The client's own session still works, and saw none of it.
    body = {"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": "get_current_time", "arguments": {"timezone": "Asia/Tokyo"}}}
    status, _, answer = post(b.url, json.dumps(body).encode(), {"Mcp-Session-Id": session})
    assert status == 200 and json.loads(answer)["id"] == 9
    report = b.api("/api/report")
    tool = next(t for t in report["targets"] if t["name"] == "get_current_time")
    assert tool["calls"] == 2 and tool["dashboard_calls"] == 1
    assert report["anomalies"]["total"] == 0
    # Once the last session has ended, the explorer has nothing to send on again.
    assert urllib_request("DELETE", b.url, {"Mcp-Session-Id": session}) == 200
    status, body = explorer("/api/explorer/tools")
    assert status == 503, body


def test_with_a_server_per_session_the_servers_are_sampled_together(mcpwatch, tmp_path, monkeypatch):
    # Three sessions, three servers: /api/system's server is all of them (process_count), not the newest alone.
    monkeypatch.setenv("MCPWATCH_SAMPLING_INTERVAL", "200ms")
    b = Bridge(mcpwatch, [mcpwatch, "bench-server"], (), tmp_path / "bridge.log")
    try:
        sessions = [b.initialize() for _ in range(3)]
        wait_for(lambda: (b.api("/api/system").get("server") or {}).get("process_count") == 3, 20, what="three servers sampled")
        server = b.api("/api/system")["server"]
        assert server["alive"] is True and server["resident_bytes"]["current"] > 0
        assert urllib_request("DELETE", b.url, {"Mcp-Session-Id": sessions[0]}) == 200
        wait_for(lambda: (b.api("/api/system").get("server") or {}).get("process_count") == 2, 20, what="two servers sampled")
    finally:
        b.stop()

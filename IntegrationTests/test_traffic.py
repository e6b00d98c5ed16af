"""Traffic control in the stdio relay (docs/traffic.md), between raw JSON-RPC lines and real MCP servers.

The server's side is told by the server itself: IntegrationTests/peers/traffic_server.py (the MCP Python SDK 2.x)
logs every tool call's start and end and every tools/list it answers, so that "never more than two at the server"
and "reached the server once" are counted where they happen, not inferred from timing.
"""
import json
import os
import pathlib
import selectors
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT, read_report, wait_for

TRAFFIC_SERVER = ROOT / "IntegrationTests/peers/traffic_server.py"


class Client:
    """One stdio client of `mcpwatch proxy`, speaking JSON-RPC lines; answers are kept by id as they come."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.answers = {}
        self.order = []
        self.raw = {}
        self.notifications = []
        self.pending = b""

    def send(self, *messages):
        data = b"".join(json.dumps(m).encode() + b"\n" for m in messages)
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def call(self, id, name, **arguments):
        return {"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": name, "arguments": arguments}}

    def read_one(self, timeout=15.0):
        # Lines are split here, from raw reads: a buffered readline could hold a second line where select cannot see it.
        while b"\n" not in self.pending:
            sel = selectors.DefaultSelector()
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout):
                pytest.fail(f"no line from mcpwatch within {timeout} s; stderr: {self.stderr_now()}")
            chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
            assert chunk, f"mcpwatch closed its output; stderr: {self.stderr_now()}"
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        line += b"\n"
        message = json.loads(line)
        if "id" in message and "method" not in message:
            self.answers[message["id"]] = message
            self.raw[message["id"]] = line
            self.order.append(message["id"])
        else:
            self.notifications.append(message)
        return message

    def wait_answer(self, id, timeout=15.0):
        while id not in self.answers:
            self.read_one(timeout)
        return self.answers[id]

    def initialize(self):
        self.send({"jsonrpc": "2.0", "id": "init", "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test_traffic", "version": "1"}}})
        assert "result" in self.wait_answer("init")
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def stderr_now(self):
        if self.proc.poll() is None:
            return "(still running)"
        return self.proc.stderr.read().decode(errors="replace")

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def proxy(mcpwatch, peers, tmp_path):
    """Starts `mcpwatch proxy` with a traffic configuration in front of the traffic peer (or another command)."""
    started = []

    def start(traffic_yaml, command=None, report=None):
        config = tmp_path / "mcpwatch.yaml"
        config.write_text("traffic:\n" + textwrap.indent(textwrap.dedent(traffic_yaml), "  "))
        log = tmp_path / "server-log.jsonl"
        log.touch()
        command = command or [peers["sdk2_python"], str(TRAFFIC_SERVER), "--log", str(log)]
        argv = [mcpwatch, "proxy", "--no-http", "--config", str(config)]
        if report:
            argv += ["--report-file", str(report)]
        client = Client(argv + ["--"] + command)
        started.append(client)
        client.log = log
        return client

    yield start
    for client in started:
        client.close()


def server_log(client):
    return [json.loads(line) for line in pathlib.Path(client.log).read_text().splitlines()]


def error_of(answer):
    assert "error" in answer, answer
    return answer["error"]


def test_ten_calls_under_max_concurrency_two_never_have_more_than_two_at_the_server(proxy):
    c = proxy("max_concurrency: 2\n")
    c.initialize()
    c.send(*[c.call(i, "hold", ms=50, tag=str(i)) for i in range(10)])
    for i in range(10):
        assert c.wait_answer(i)["result"]["isError"] is False
    in_flight = peak = entered = 0
    for event in server_log(c):
        if event["event"] == "enter":
            in_flight += 1
            entered += 1
            peak = max(peak, in_flight)
        elif event["event"] == "exit":
            in_flight -= 1
    assert entered == 10
    assert peak == 2


def test_a_high_priority_call_overtakes_queued_low_ones(proxy):
    c = proxy("""\
        max_concurrency: 1
        tools:
          hold: {priority: low}
          heal: {priority: high}
        """)
    c.initialize()
    c.send(c.call("first", "hold", ms=1500, tag="first"))
    wait_for(lambda: any(e["event"] == "enter" for e in server_log(c)), what="the first call at the server")
    c.send(*[c.call(f"low{i}", "hold", ms=0, tag=f"low{i}") for i in range(3)], c.call("urgent", "heal"))
    for id in ["first", "low0", "low1", "low2", "urgent"]:
        c.wait_answer(id)
    assert c.order[-5:] == ["first", "urgent", "low0", "low1", "low2"]


def test_a_full_queue_answers_at_once_without_reaching_the_server(proxy):
    c = proxy("""\
        max_concurrency: 1
        queue: {max_size: 1}
        """)
    c.initialize()
    c.send(c.call("a", "hold", ms=1500, tag="a"))
    wait_for(lambda: any(e["event"] == "enter" for e in server_log(c)), what="the first call at the server")
    c.send(c.call("b", "hold", ms=0, tag="b"), c.call("c", "hold", ms=0, tag="c"))
    first = c.read_one()
    assert first["id"] == "c"
    error = error_of(first)
    assert error["code"] == -32010
    assert error["data"]["outcome"] == "rejected" and error["data"]["source"] == "mcpwatch"
    assert error["data"]["maxQueued"] == 1
    c.wait_answer("a")
    c.wait_answer("b")
    assert [e["tag"] for e in server_log(c) if e["event"] == "enter"] == ["a", "b"]


def test_a_queued_call_cancelled_by_the_client_never_reaches_the_server(proxy):
    c = proxy("max_concurrency: 1\n")
    c.initialize()
    c.send(c.call("a", "hold", ms=1000, tag="a"))
    wait_for(lambda: any(e["event"] == "enter" for e in server_log(c)), what="the first call at the server")
    c.send(c.call("b", "hold", ms=0, tag="b"),
           {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": "b", "reason": "changed my mind"}},
           c.call("c", "hold", ms=0, tag="c"))
    c.wait_answer("a")
    c.wait_answer("c")
    c.send({"jsonrpc": "2.0", "id": "p", "method": "ping"})
    c.wait_answer("p")
    assert "b" not in c.answers
    assert [e["tag"] for e in server_log(c) if e["event"] == "enter"] == ["a", "c"]


def test_tools_list_twice_reaches_the_server_once_with_identical_bytes(proxy, tmp_path):
    report = tmp_path / "report.json"
    c = proxy("cache: {ttl: 1m}\n", report=report)
    c.initialize()
    c.send({"jsonrpc": "2.0", "id": 101, "method": "tools/list"})
    c.wait_answer(101)
    c.send({"jsonrpc": "2.0", "id": 202, "method": "tools/list", "params": {"_meta": {"note": "left out of the key"}}})
    c.wait_answer(202)
    assert [e["event"] for e in server_log(c)].count("tools/list") == 1
    first, second = c.raw[101], c.raw[202]
    assert b'"id":101' in first and b'"id":202' in second
    assert second.replace(b'"id":202', b'"id":101', 1) == first
    c.close()
    # The cached answer is not one of the server's calls.
    targets = {t["name"]: t for t in read_report(report)["targets"]}
    assert targets["tools/list"]["calls"] == 1


def test_a_list_changed_notification_makes_the_next_tools_list_reach_the_server(proxy):
    c = proxy("cache: {ttl: 1m}\n")
    c.initialize()
    c.send({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    c.wait_answer(1)
    c.send({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    c.wait_answer(2)
    assert [e["event"] for e in server_log(c)].count("tools/list") == 1
    c.send(c.call(3, "change_tools"))
    c.wait_answer(3)
    assert any(n.get("method") == "notifications/tools/list_changed" for n in c.notifications)
    c.send({"jsonrpc": "2.0", "id": 4, "method": "tools/list"})
    c.wait_answer(4)
    assert [e["event"] for e in server_log(c)].count("tools/list") == 2


def test_five_failing_calls_open_the_breaker_and_probe_calls_close_it(proxy):
    c = proxy("""\
        tools:
          flaky:
            breaker: {failures: 5, cool_down: 200ms, probes: 2}
        """)
    c.initialize()
    for i in range(5):
        c.send(c.call(f"f{i}", "flaky"))
        assert c.wait_answer(f"f{i}")["result"]["isError"] is True
    c.send(c.call("open", "flaky"))
    error = error_of(c.wait_answer("open"))
    assert error["code"] == -32013
    assert error["data"]["outcome"] == "circuit_open" and error["data"]["breaker"] == "tool:flaky"
    assert error["data"]["retryAfterMs"] > 0
    assert [e["event"] for e in server_log(c)].count("flaky") == 5
    c.send(c.call("heal", "heal"))
    assert c.wait_answer("heal")["result"]["isError"] is False
    # After the cool-down the breaker lets a probe through: poll until one is not answered by mcpwatch.
    attempt = [0]

    def probe_passes():
        attempt[0] += 1
        id = f"try{attempt[0]}"
        c.send(c.call(id, "flaky"))
        answer = c.wait_answer(id)
        return "result" in answer and answer["result"]["isError"] is False

    wait_for(probe_passes, timeout=10, interval=0.05, what="a probe call through the half-open breaker")
    c.send(c.call("probe2", "flaky"))
    assert c.wait_answer("probe2")["result"]["isError"] is False
    # Closed again: calls go through as they come.
    c.send(*[c.call(f"after{i}", "flaky") for i in range(3)])
    for i in range(3):
        assert c.wait_answer(f"after{i}")["result"]["isError"] is False


def test_a_rate_limit_answers_with_a_retry_hint(proxy):
    c = proxy("""\
        rate_limits:
          tools:
            heal: {rate: 1/m, burst: 2}
        """)
    c.initialize()
    c.send(c.call(1, "heal"), c.call(2, "heal"), c.call(3, "heal"))
    assert "result" in c.wait_answer(1) and "result" in c.wait_answer(2)
    error = error_of(c.wait_answer(3))
    assert error["code"] == -32014
    assert error["data"]["outcome"] == "rate_limited" and error["data"]["scope"] == "tool:heal"
    assert 0 < error["data"]["retryAfterMs"] <= 60_000
    # Other tools have no bucket.
    c.send(c.call(4, "hold", ms=0))
    assert "result" in c.wait_answer(4)


# A server that answers a request only when the next line comes: a call's answer is late by construction, and comes
# (as a server that ignores cancellations would send it) right after mcpwatch's notifications/cancelled.
LATE_SERVER = textwrap.dedent(r'''
    import json, sys
    log = open(sys.argv[1], "a")
    waiting = None
    for line in sys.stdin:
        log.write(line); log.flush()
        message = json.loads(line)
        if message.get("method") == "initialize":
            print(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": {"protocolVersion": "2025-06-18",
                  "capabilities": {"tools": {}}, "serverInfo": {"name": "late", "version": "1"}}}), flush=True)
            continue
        if waiting is not None:
            print(json.dumps({"jsonrpc": "2.0", "id": waiting, "result": {"content": [], "isError": False}}), flush=True)
            waiting = None
        if message.get("method") == "ping":
            print(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": {}}), flush=True)
        elif "id" in message and "method" in message:
            waiting = message["id"]
''')


def test_a_timeout_answers_the_client_cancels_at_the_server_and_drops_the_late_answer(proxy, tmp_path):
    script = tmp_path / "late_server.py"
    script.write_text(LATE_SERVER)
    received = tmp_path / "received.jsonl"
    c = proxy("timeout: 200ms\n", command=[sys.executable, str(script), str(received)])
    c.initialize()
    c.send(c.call(7, "slow"))
    error = error_of(c.wait_answer(7))
    assert error["code"] == -32012
    assert error["data"]["outcome"] == "timed_out" and error["data"]["timeoutMs"] == 200
    lines = [json.loads(l) for l in received.read_text().splitlines()]
    wait_for(lambda: any(m.get("method") == "notifications/cancelled" for m in
                         [json.loads(l) for l in received.read_text().splitlines()]), what="the server's cancellation")
    cancel = [json.loads(l) for l in received.read_text().splitlines() if "notifications/cancelled" in l][0]
    assert cancel["params"]["requestId"] == 7
    # The server has now answered 7 late; the client's next line is the ping's answer, not that.
    c.send({"jsonrpc": "2.0", "id": 8, "method": "ping"})
    assert c.read_one()["id"] == 8
    assert c.order.count(7) == 1
    assert lines  # the server saw the call itself


BAD_TRAFFIC = """\
traffic:
  max_concurrency: -3
  cache:
    entries: 0
  tools:
    search:
      priority: urgent
      max_concurency: 2
"""


def test_bad_traffic_settings_are_named_by_config_check_and_refused_by_the_proxy(mcpwatch, peers, tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text(BAD_TRAFFIC)
    check = subprocess.run([mcpwatch, "config", "check", "--config", str(config)], capture_output=True, text=True, timeout=30)
    assert check.returncode == 78
    for expected in ["traffic.max_concurrency", "traffic.cache.entries", "traffic.tools.search.priority",
                     "unknown priority 'urgent'", "traffic.tools.search.max_concurency", "did you mean 'max_concurrency'"]:
        assert expected in check.stderr, check.stderr
    proxy = subprocess.run([mcpwatch, "proxy", "--no-http", "--config", str(config), "--", peers["sdk2_python"], str(TRAFFIC_SERVER),
                            "--log", str(tmp_path / "never.jsonl")], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert proxy.returncode == 78
    problems = [l.strip() for l in check.stderr.splitlines() if "traffic." in l]
    for problem in problems:
        assert problem in proxy.stderr
    assert not (tmp_path / "never.jsonl").exists()


def http_post(url, message, session=None):
    """POSTs one JSON-RPC message; returns (the session header, the JSON-RPC answer, the raw answer bytes)."""
    import urllib.request
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
               "MCP-Protocol-Version": "2025-06-18"}
    if session:
        headers["Mcp-Session-Id"] = session
    request = urllib.request.Request(url, data=json.dumps(message).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=15) as response:
        body = response.read()
        assigned = response.headers.get("Mcp-Session-Id")
        if response.headers.get("Content-Type", "").startswith("text/event-stream"):
            datas = [line[5:].strip() for line in body.splitlines() if line.startswith(b"data:")]
            answers = [d for d in datas if b'"id"' in d and b'"method"' not in d]
            raw = answers[-1] if answers else b""
        else:
            raw = body
        return assigned, (json.loads(raw) if raw else None), raw


def test_a_private_result_is_not_served_to_a_second_http_client(mcpwatch, peers, tmp_path):
    from conftest import free_port, stop
    import socket

    def port_open(port):
        with socket.socket() as s:
            s.settimeout(0.2)
            return s.connect_ex(("127.0.0.1", port)) == 0

    upstream_port, serve_port = free_port(), free_port()
    config = tmp_path / "mcpwatch.yaml"
    # Results without cacheScope are private (the default): each session has its own entries.
    config.write_text("traffic:\n  cache: {ttl: 1m, unhinted_scope: private}\n")
    report = tmp_path / "report.json"
    upstream = subprocess.Popen([peers["sdk2_python"], peers["echo_server"], "--transport", "streamable-http", "--port", str(upstream_port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proxy = subprocess.Popen([mcpwatch, "proxy", "--config", str(config), "--upstream", f"http://127.0.0.1:{upstream_port}/mcp",
                              "--serve-http", f"127.0.0.1:{serve_port}", "--no-http", "--report-file", str(report)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: port_open(upstream_port), 30, what="the echo server")
        wait_for(lambda: port_open(serve_port), 30, what="mcpwatch's MCP endpoint")
        url = f"http://127.0.0.1:{serve_port}/mcp"
        sessions = []
        for name in ("alice", "bob"):
            session, answer, _ = http_post(url, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": name, "version": "1"}}})
            assert session and "result" in answer
            http_post(url, {"jsonrpc": "2.0", "method": "notifications/initialized"}, session)
            sessions.append(session)
        alice, bob = sessions
        _, first, first_raw = http_post(url, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, alice)
        _, again, again_raw = http_post(url, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, alice)
        assert again_raw == first_raw  # alice's own entry, the server's bytes
        _, other, _ = http_post(url, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, bob)
        assert other["result"] == first["result"]
    finally:
        stop(proxy, upstream)
    # Three lists asked, two reached the server: alice's second came from her own entry, bob's went to the server.
    targets = {t["name"]: t for t in read_report(report)["targets"]}
    assert targets["tools/list"]["calls"] == 2

"""`mcpwatch demo`, as a new user runs it: live traffic on the demo's tools, alerts that fire, a clean Ctrl-C; and the demo
server on its own, with large results and end of input."""
import json
import signal
import subprocess
import threading
import time
import urllib.request

import pytest

from conftest import free_port, wait_for


def get(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


def test_demo_drives_live_traffic_fires_alerts_and_stops_on_ctrl_c(mcpwatch):
    port = free_port()
    demo = subprocess.Popen([mcpwatch, "demo", "--listen", f"127.0.0.1:{port}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = [demo.stdout.readline() for _ in range(8)]
        assert banner[0].startswith("mcpwatch demo: the demo MCP server runs behind mcpwatch"), banner
        assert f"dashboard: open http://127.0.0.1:{port}/ in a browser" in banner[1], banner
        assert f"http://127.0.0.1:{port}/api/report" in "".join(banner) and "Ctrl-C stops." in banner[-1]
        base = f"http://127.0.0.1:{port}"

        def tools():
            return {t["name"]: t["calls"] for t in get(base + "/api/tools")["tools"]}

        first = wait_for(lambda: (lambda t: t if {"echo", "search", "calculate", "flaky_fetch"} <= t.keys() else None)(tools()),
                         timeout=30, what="the demo's tools to be called")
        wait_for(lambda: tools()["echo"] > first["echo"] and tools()["search"] > first["search"], timeout=30, what="counts to grow")
        report = get(base + "/api/report")
        assert report["session"]["client"]["name"] == "mcpwatch-demo-client" and report["session"]["server"]["name"] == "mcpwatch-demo"
        # The demo fails in two ways only: flaky_fetch times out now and then (a tool error), calculate divides by zero now
        # and then (-32602, invalid params). About 3 % of calls fail, so at the default rate the first comes within seconds.
        def failures():
            return {t["name"]: {k for k, n in t["error_types"].items() if n > 0} for t in get(base + "/api/tools")["tools"] if t["errors"] > 0}
        failing = wait_for(failures, timeout=60, interval=0.5, what="a call to fail")
        expected = {"flaky_fetch": {"tool_error"}, "calculate": {"-32602"}}
        assert all(expected.get(name) == types for name, types in failing.items()), failing
        assert get(base + "/api/report")["overview"]["total_errors"] > 0
        # The demo's rules react within seconds: a slow or flaky tool fires.
        firing = wait_for(lambda: [a for a in get(base + "/api/alerts?state=firing")["active"]], timeout=90, interval=1,
                          what="an alert to fire")
        assert firing[0]["rule"] in ("tool_latency_p95", "tool_success_rate", "error_rate")
        demo.send_signal(signal.SIGINT)
        out, err = demo.communicate(timeout=30)
        assert demo.returncode == 0, err[-2000:]
        assert "calls sent" in out and "proxy exited with status 0" in out
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait(10)


# `mcpwatch demo-server` on its own, driven byte by byte: large results written concurrently, and end of input while calls
# are still running. (The SDK's StdioTransport interleaved the partial writes of concurrent large results on stdout, and
# the server exited at end of input before its pending answers were written.)

LARGE_KB = 2048
LARGE_TEXT = ("mcpwatch demo data " * 53 + "\n") * LARGE_KB  # what large_result returns


def _demo_server_with_large_calls(mcpwatch, calls: int, extra=()):
    proc = subprocess.Popen([mcpwatch, "demo-server", "--seed", "7"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test_demo", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
    ]
    messages += [{"jsonrpc": "2.0", "id": 10 + i, "method": "tools/call",
                  "params": {"name": "large_result", "arguments": {"kilobytes": LARGE_KB}}} for i in range(calls)]
    messages += list(extra)
    proc.stdin.write(b"".join(json.dumps(m).encode() + b"\n" for m in messages))
    proc.stdin.flush()
    return proc


def _read_lines(stream, count=None, timeout=30.0):
    """Reads `count` lines (or up to end of output) in a thread, so that a stuck server fails the test instead of hanging it."""
    lines, done = [], threading.Event()

    def reader():
        try:
            while count is None or len(lines) < count:
                line = stream.readline()
                if not line:
                    break
                lines.append(line)
        finally:
            done.set()

    threading.Thread(target=reader, daemon=True).start()
    done.wait(timeout)
    return lines


def _check_large_answers(lines, ids):
    answers = {}
    for n, line in enumerate(lines):
        assert line.endswith(b"\n"), f"line {n} is cut off after {len(line)} bytes"
        try:
            message = json.loads(line)
        except ValueError:
            starts = line.count(b'{"id"')
            pytest.fail(f"line {n} ({len(line)} bytes, {starts} id starts) is not JSON: {line[:80]!r}...")
        answers[message.get("id")] = message
    for i in ids:
        assert i in answers, f"no answer to call {i}: got {sorted(answers, key=str)}"
        text = answers[i]["result"]["content"][0]["text"]
        assert text == LARGE_TEXT, (i, len(text))
    return answers


def test_demo_server_writes_concurrent_large_results_whole(mcpwatch):
    proc = _demo_server_with_large_calls(mcpwatch, calls=4)
    try:
        time.sleep(1.5)  # all four results are ready before the client reads: their writes meet a full pipe together
        lines = _read_lines(proc.stdout, count=5)
        assert len(lines) == 5, f"{len(lines)} lines of 5"
        answers = _check_large_answers(lines, ids=range(10, 14))
        assert answers[1]["result"]["serverInfo"]["name"] == "mcpwatch-demo"
        proc.stdin.close()
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def test_demo_server_answers_calls_in_flight_at_end_of_input(mcpwatch):
    slow = {"jsonrpc": "2.0", "id": 20, "method": "tools/call", "params": {"name": "slow_report", "arguments": {"seconds": 1}}}
    proc = _demo_server_with_large_calls(mcpwatch, calls=4, extra=[slow])
    try:
        proc.stdin.close()  # end of input with five calls in flight, one of them still running for a second
        time.sleep(0.5)  # and a client slower than the server
        lines = _read_lines(proc.stdout, timeout=30)
        answers = _check_large_answers(lines, ids=range(10, 14))
        assert answers[20]["result"]["content"][0]["text"] == "report ready after 1.0 s"
        assert len(lines) == 6
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)

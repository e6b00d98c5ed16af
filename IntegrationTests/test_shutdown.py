"""Ctrl-C and SIGTERM to `mcpwatch proxy`, in every mode: what is pending is answered, the last report file holds the
final calls, and mcpwatch exits with the documented status (stdio: the server's, 128 + signal when the forwarded
signal ended it; the HTTP modes: 0 after a signal).

Each test holds a call open (the server has it and has not answered), signals mcpwatch, and only then lets the call
finish or not: the answer can only have come through the shutdown. Nothing sleeps; every wait is for an event
(a line on a pipe, a progress notification, a log line)."""
import http.client
import json
import pathlib
import signal
import subprocess
import sys
import textwrap
import threading

import pytest

from conftest import free_port, read_report, wait_for

PROGRESS_SERVER = str(pathlib.Path(__file__).parent / "progress_server.py")
SIGNALS = [signal.SIGINT, signal.SIGTERM]


class Lines:
    """Collects a pipe's lines on a thread, so that a test can wait for one without blocking on the pipe."""

    def __init__(self, pipe):
        self.lines = []
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self.thread.start()

    def _read(self, pipe):
        for line in iter(pipe.readline, b""):
            with self.changed:
                self.lines.append(line.decode(errors="replace"))
                self.changed.notify_all()
        with self.changed:
            self.lines.append(None)  # the end
            self.changed.notify_all()

    def wait_for(self, predicate, timeout=30, what="a line"):
        """Returns the first line for which predicate is true; fails at the end of the pipe or the timeout."""
        seen = 0
        with self.changed:
            while True:
                while seen < len(self.lines):
                    line = self.lines[seen]
                    seen += 1
                    if line is None:
                        pytest.fail(f"the pipe ended before {what}; it said: {''.join(l for l in self.lines if l)[-3000:]}")
                    if predicate(line):
                        return line
                if not self.changed.wait(timeout):
                    pytest.fail(f"timed out waiting for {what}")

    def text(self):
        self.thread.join(10)
        return "".join(l for l in self.lines if l)


def calls(report, name):
    return next((t for t in report["targets"] if t["name"] == name), None)


def assert_final_report(path, outcome):
    """The report written last: the held call is there with its outcome (the periodic writes are an hour apart, so
    only the write at shutdown can hold it)."""
    report = read_report(path)
    tool = calls(report, "wait_for_file") or calls(report, "hold")
    assert tool is not None, report["targets"]
    assert tool["calls"] == 1 and tool["outcomes"].get(outcome) == 1, tool
    assert calls(report, "initialize")["calls"] == 1
    return report


# --- stdio ---------------------------------------------------------------------------------------------------------

# Answers initialize; takes a `hold` call, says so on stderr, and never answers it. Ends the default way on a signal.
HOLDING_SERVER = textwrap.dedent("""
    import json, signal, sys
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    for line in sys.stdin:
        message = json.loads(line)
        if message.get("method") == "initialize":
            print(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": {"protocolVersion": "2025-06-18",
                  "capabilities": {"tools": {}}, "serverInfo": {"name": "holding", "version": "1"}}}), flush=True)
        elif message.get("method") == "tools/call":
            print("holding the call", file=sys.stderr, flush=True)
""")


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_stdio_relay_forwards_the_signal_answers_the_pending_call_and_exits_with_the_servers_status(mcpwatch, tmp_path, sig):
    server = tmp_path / "holding.py"
    server.write_text(HOLDING_SERVER)
    report = tmp_path / "report.json"
    proc = subprocess.Popen([mcpwatch, "proxy", "--no-http", "--report-file", str(report), "--report-interval", "3600",
                             "--", sys.executable, str(server)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = Lines(proc.stdout), Lines(proc.stderr)
        proc.stdin.write(b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",'
                         b'"capabilities":{},"clientInfo":{"name":"t","version":"1"}}}\n')
        proc.stdin.write(b'{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"hold","arguments":{}}}\n')
        proc.stdin.flush()
        out.wait_for(lambda l: '"id": 1' in l or '"id":1' in l, what="the initialize answer")
        err.wait_for(lambda l: "holding the call" in l, what="the server to hold the call")
        proc.send_signal(sig)
        answer = json.loads(out.wait_for(lambda l: '"id":2' in l, what="the pending call's answer"))
        assert answer["error"]["code"] == -32000
        assert f"killed by signal {int(sig)}" in answer["error"]["message"], answer
        assert proc.wait(15) == 128 + int(sig)
        assert_final_report(report, "lost")
        assert "killed by signal" in err.text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


# --- HTTP modes ----------------------------------------------------------------------------------------------------

def post(port, body, session=None, path="/mcp"):
    """Starts a POST and returns the open response (not read yet)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if session:
        headers["Mcp-Session-Id"] = session
    conn.request("POST", path, json.dumps(body).encode(), headers)
    return conn.getresponse()


def messages(response):
    """The JSON-RPC messages of a response, as they arrive (SSE data lines, or one JSON body)."""
    if "text/event-stream" not in (response.getheader("Content-Type") or ""):
        body = response.read()
        if body:
            yield json.loads(body)
        return
    for raw in iter(response.readline, b""):
        line = raw.decode().strip()
        if line.startswith("data:") and line[5:].strip():
            yield json.loads(line[5:])


def start_session(port):
    response = post(port, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
    assert response.status == 200, response.read()
    session = response.getheader("Mcp-Session-Id")
    assert any(m.get("id") == 1 and "result" in m for m in messages(response))
    post(port, {"jsonrpc": "2.0", "method": "notifications/initialized"}, session).read()
    return session


class HeldCall:
    """A `wait_for_file` call running on a thread: `progressed` once the server has it, `result` once answered."""

    def __init__(self, port, session, marker):
        self.progressed = threading.Event()
        self.result = None
        self.error = None
        self.thread = threading.Thread(target=self._run, args=(port, session, marker), daemon=True)
        self.thread.start()

    def _run(self, port, session, marker):
        try:
            response = post(port, {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
                "name": "wait_for_file", "arguments": {"path": str(marker)}, "_meta": {"progressToken": "p"}}}, session)
            for message in messages(response):
                if message.get("method") == "notifications/progress":
                    self.progressed.set()
                elif message.get("id") == 2:
                    self.result = message
                    return
        except Exception as error:  # noqa: BLE001 - reported by the test
            self.error = error
        finally:
            self.progressed.set()


def run_held_call_through_a_signal(proc, port, marker, sig, err):
    """Holds a call, signals mcpwatch, waits until it is draining, then lets the call finish; returns its answer."""
    session = start_session(port)
    call = HeldCall(port, session, marker)
    assert call.progressed.wait(30) and call.error is None, call.error
    proc.send_signal(sig)
    err.wait_for(lambda l: "answering what is pending" in l, what="mcpwatch to start draining")
    marker.write_text("go")
    call.thread.join(30)
    assert call.error is None, call.error
    return call.result


def http_mcpwatch(mcpwatch, args, report, listen):
    return subprocess.Popen([mcpwatch, "proxy", "--listen", f"127.0.0.1:{listen}", "--report-file", str(report),
                             "--report-interval", "3600", *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def port_open(port):
    import socket
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def progress_upstream(peers):
    port = free_port()
    server = subprocess.Popen([peers["sdk2_python"], PROGRESS_SERVER, "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: port_open(port), 30, what="the progress server")
    yield port
    server.terminate()
    server.wait(10)


def check_http_mode_shutdown(proc, serve_port, listen_port, marker, report, sig):
    err = Lines(proc.stderr)
    try:
        wait_for(lambda: port_open(serve_port), 30, what="mcpwatch's MCP endpoint")
        wait_for(lambda: port_open(listen_port), 30, what="mcpwatch's monitoring API")
        result = run_held_call_through_a_signal(proc, serve_port, marker, sig, err)
        assert result is not None and result["result"]["content"][0]["text"] == "seen", result
        assert proc.wait(30) == 0
        assert_final_report(report, "ok")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_reverse_proxy_answers_the_call_in_flight_writes_the_report_and_exits_0(mcpwatch, progress_upstream, tmp_path, sig):
    serve_port, listen_port = free_port(), free_port()
    report = tmp_path / "report.json"
    proc = http_mcpwatch(mcpwatch, ["--upstream", f"http://127.0.0.1:{progress_upstream}/mcp", "--serve-http",
                                    f"127.0.0.1:{serve_port}"], report, listen_port)
    check_http_mode_shutdown(proc, serve_port, listen_port, tmp_path / "go", report, sig)


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_bridge_answers_the_call_in_flight_writes_the_report_and_exits_0(mcpwatch, peers, tmp_path, sig):
    serve_port, listen_port = free_port(), free_port()
    report = tmp_path / "report.json"
    proc = http_mcpwatch(mcpwatch, ["--serve-http", f"127.0.0.1:{serve_port}", "--", peers["sdk2_python"], PROGRESS_SERVER],
                         report, listen_port)
    check_http_mode_shutdown(proc, serve_port, listen_port, tmp_path / "go", report, sig)


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_stdio_front_answers_the_call_in_flight_writes_the_report_and_exits_0(mcpwatch, progress_upstream, tmp_path, sig):
    listen_port = free_port()
    report = tmp_path / "report.json"
    marker = tmp_path / "go"
    proc = http_mcpwatch(mcpwatch, ["--upstream", f"http://127.0.0.1:{progress_upstream}/mcp"], report, listen_port)
    out, err = Lines(proc.stdout), Lines(proc.stderr)
    try:
        proc.stdin.write(b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",'
                         b'"capabilities":{},"clientInfo":{"name":"t","version":"1"}}}\n')
        proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        proc.stdin.flush()
        out.wait_for(lambda l: json.loads(l).get("id") == 1, what="the initialize answer")
        call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                "params": {"name": "wait_for_file", "arguments": {"path": str(marker)}, "_meta": {"progressToken": "p"}}}
        proc.stdin.write(json.dumps(call).encode() + b"\n")
        proc.stdin.flush()
        out.wait_for(lambda l: json.loads(l).get("method") == "notifications/progress", what="the progress notification")
        proc.send_signal(sig)
        err.wait_for(lambda l: "answering what is pending" in l, what="mcpwatch to start draining")
        marker.write_text("go")
        answer = json.loads(out.wait_for(lambda l: json.loads(l).get("id") == 2, what="the call's answer"))
        assert answer["result"]["content"][0]["text"] == "seen", answer
        assert proc.wait(30) == 0
        assert_final_report(report, "ok")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)

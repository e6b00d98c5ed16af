"""mcpwatch proxy at the byte level: exactness, lifecycle, signals, junk. No SDK in the way."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import urllib.request

from conftest import children_of, free_port, read_report, wait_for


def get_json(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return json.loads(r.read())
    except OSError:
        return None

# A server that logs every byte it receives to a file and answers each line with prepared, unusual but valid lines.
RAW_SERVER = textwrap.dedent(r'''
    import sys
    log = open(sys.argv[1], "wb")
    answers = [
        b'{ "jsonrpc" : "2.0" , "id" : 1 , "result" : { "t" : "\\u00e9\\ud83d\\ude00 \xc3\xa9", "n": 12345678901234567890123, "f": -0.0e-7 } }\r\n',
        b'[{"id":2,"jsonrpc":"2.0","result":{}},{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"x"}}]\n',
        b'{"result":{"content":[{"type":"text","text":"tab\\tnew\\nline"}],"isError":true},"id":"s-3","jsonrpc":"2.0"}\n',
    ]
    i = 0
    for line in sys.stdin.buffer:
        log.write(line); log.flush()
        if i < len(answers):
            sys.stdout.buffer.write(answers[i]); sys.stdout.buffer.flush()
        i += 1
''')

CLIENT_LINES = [
    b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t\\u00e9st","arguments":{"a":[1,{"b":null}]}}}\n',
    b'[{"jsonrpc":"2.0","id":2,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}}]\r\n',
    b'  {"method":"tools/call","id":"s-3","params":{"name":"odd"},"jsonrpc":"2.0"}   \n',
]


def test_bytes_cross_unchanged_both_ways(mcpwatch, raw_session, tmp_path):
    server = tmp_path / "server.py"
    server.write_text(RAW_SERVER)
    received = tmp_path / "received.bin"
    report = tmp_path / "report.json"
    s = raw_session([mcpwatch, "proxy", "--no-http", "--report-file", str(report), "--", sys.executable, str(server), str(received)])
    got = []
    for line in CLIENT_LINES:
        s.send(line)
        got.append(s.read_line())
    s.close_input()
    assert s.wait() == 0
    expected_answers = [
        b'{ "jsonrpc" : "2.0" , "id" : 1 , "result" : { "t" : "\\u00e9\\ud83d\\ude00 \xc3\xa9", "n": 12345678901234567890123, "f": -0.0e-7 } }\r\n',
        b'[{"id":2,"jsonrpc":"2.0","result":{}},{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"x"}}]\n',
        b'{"result":{"content":[{"type":"text","text":"tab\\tnew\\nline"}],"isError":true},"id":"s-3","jsonrpc":"2.0"}\n',
    ]
    assert got == expected_answers
    assert received.read_bytes() == b"".join(CLIENT_LINES)
    r = read_report(report)
    targets = {t["name"]: t for t in r["targets"]}
    assert targets["tést"]["outcomes"]["ok"] == 1
    assert targets["ping"]["outcomes"]["ok"] == 1
    assert targets["odd"]["outcomes"]["tool_error"] == 1
    assert targets["odd"]["last_error"]["message"] == "tab\tnew\nline"
    assert {(n["method"], n["direction"]) for n in r["notifications"]} == {
        ("notifications/progress", "client_to_server"), ("notifications/message", "server_to_client")}
    assert r["anomalies"]["total"] == 0


def _slow_call(i):
    return (json.dumps({"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"name": "sleep_ms", "arguments": {"ms": 30000}}}) + "\n").encode()


def _initialize(s):
    s.send(b'{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}\n')
    assert json.loads(s.read_line())["id"] == 0
    s.send(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')


def test_server_killed_mid_call(mcpwatch, peers, raw_session, tmp_path):
    report = tmp_path / "report.json"
    port = free_port()
    s = raw_session([mcpwatch, "proxy", "--listen", f"127.0.0.1:{port}", "--report-file", str(report), "--", sys.executable, peers["echo_server"]])
    _initialize(s)
    s.send(_slow_call(7))
    server_pid = wait_for(lambda: children_of(s.proc.pid), what="the server process")[0]
    # The call is in flight once the proxy has relayed it.
    wait_for(lambda: (get_json(f"http://127.0.0.1:{port}/api/report") or {}).get("overview", {}).get("in_flight") == 1,
             what="the call in flight")
    killed_at = time.monotonic()
    os.kill(server_pid, signal.SIGKILL)
    answer = json.loads(s.read_line(timeout=5))
    elapsed = time.monotonic() - killed_at
    assert answer["id"] == 7
    assert answer["error"]["code"] == -32000
    assert "killed by signal 9" in answer["error"]["message"]
    assert elapsed < 1.0, f"the error came {elapsed:.2f} s after the kill"
    assert s.wait() == 137
    r = read_report(report)
    sleep = {t["name"]: t for t in r["targets"]}["sleep_ms"]
    assert sleep["outcomes"]["lost"] == 1
    assert r["session"]["server_alive"] is False


def test_server_exiting_with_status_mid_call(mcpwatch, raw_session, tmp_path):
    server = tmp_path / "exit3.py"
    server.write_text("import sys\nsys.stdin.buffer.readline()\nsys.exit(3)\n")
    s = raw_session([mcpwatch, "proxy", "--no-http", "--", sys.executable, str(server)])
    s.send(_slow_call("a"))
    answer = json.loads(s.read_line())
    assert answer == {"jsonrpc": "2.0", "id": "a", "error": {"code": -32000, "message": "MCP server exited with status 3 before answering this request"}}
    assert s.wait() == 3


def test_junk_and_oversized_lines_do_not_stop_the_session(mcpwatch, peers, raw_session, tmp_path):
    report = tmp_path / "report.json"
    s = raw_session([mcpwatch, "proxy", "--no-http", "--max-message-bytes", "1KiB", "--report-file", str(report), "--",
                     sys.executable, peers["echo_server"]])
    _initialize(s)
    s.send(b"this is not json\n")
    s.send(b"42\n")
    s.send(b'{"jsonrpc":"2.0","method":"x\xff\xfe"}\n')
    s.send(b'{"jsonrpc":"2.0","id":999,"result":{}}\n')
    big = json.dumps({"jsonrpc": "2.0", "id": "big", "method": "tools/call", "params": {"name": "echo", "arguments": {"text": "x" * 4096}}})
    s.send(big.encode() + b"\n")
    rejected = json.loads(s.read_line())
    assert rejected["id"] == "big"
    assert rejected["error"]["code"] == -32600
    assert "exceeds the limit of 1024 bytes" in rejected["error"]["message"]
    s.send(b'{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"text":"still here"}}}\n')
    # The server may answer the junk with parse errors first; skip those.
    while True:
        answer = json.loads(s.read_line())
        if answer.get("id") == 5:
            break
    assert answer["result"]["content"][0]["text"] == "still here"
    s.close_input()
    assert s.wait() == 0
    kinds = read_report(report)["anomalies"]["by_kind"]
    assert kinds["invalid_json"] == 1
    assert kinds["not_object_or_batch"] == 1
    assert kinds["invalid_utf8"] == 1
    assert kinds["unknown_response_id"] == 1
    assert kinds["oversized_message"] == 1


def test_client_closing_input_stops_the_server(mcpwatch, peers, raw_session):
    s = raw_session([mcpwatch, "proxy", "--no-http", "--", sys.executable, peers["echo_server"]])
    _initialize(s)
    s.close_input()
    assert s.wait(timeout=10) == 0


def test_sigterm_is_forwarded(mcpwatch, raw_session, tmp_path):
    server = tmp_path / "term.py"
    server.write_text(textwrap.dedent("""
        import signal, sys, time
        signal.signal(signal.SIGTERM, lambda *a: sys.exit(42))
        print("ready", file=sys.stderr, flush=True)
        while True:
            time.sleep(0.05)
    """))
    s = raw_session([mcpwatch, "proxy", "--no-http", "--", sys.executable, str(server)])
    line = s.proc.stderr.readline()
    while b"ready" not in line:
        line = s.proc.stderr.readline()
    s.proc.send_signal(signal.SIGTERM)
    assert s.wait(timeout=10) == 42


def test_missing_command_is_a_clear_error(mcpwatch):
    started = time.monotonic()
    out = subprocess.run([mcpwatch, "proxy", "--no-http", "--", "/no/such/mcp-server"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 127
    assert "cannot start server command `/no/such/mcp-server`" in out.stderr
    assert out.stdout == ""
    assert time.monotonic() - started < 5


def test_help_shows_examples(mcpwatch):
    top = subprocess.run([mcpwatch, "--help"], capture_output=True, text=True, timeout=10).stdout
    proxy = subprocess.run([mcpwatch, "proxy", "--help"], capture_output=True, text=True, timeout=10).stdout
    assert "mcpwatch proxy -- uvx mcp-server-time" in top
    assert "Examples:" in proxy and "--report-file" in proxy and "--max-message-bytes" in proxy

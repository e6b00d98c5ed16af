"""The local store with real processes: history across runs, the call log, and the faults a user's disk can have."""
import json
import os
import pathlib
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import urllib.request

import pytest

from conftest import free_port, stop, wait_for

# A stdio server that answers every request at once: tools/call of "fail" with a tool error, "boom" with a JSON-RPC
# error, anything else with a result that names the call (so each answer can be checked byte for byte).
ECHO_SERVER = textwrap.dedent(r'''
    import json, sys
    for line in sys.stdin:
        msg = json.loads(line)
        if "id" not in msg or "method" not in msg:
            continue
        if msg["method"] == "initialize":
            out = {"jsonrpc": "2.0", "id": msg["id"], "result": {"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                   "serverInfo": {"name": "store-echo", "version": "1.0"}}}
        elif msg["method"] == "tools/call" and msg["params"]["name"] == "boom":
            out = {"jsonrpc": "2.0", "id": msg["id"], "error": {"code": -32603, "message": "boom"}}
        elif msg["method"] == "tools/call":
            name = msg["params"]["name"]
            out = {"jsonrpc": "2.0", "id": msg["id"], "result": {"content": [{"type": "text", "text": "called " + name}],
                   "isError": name == "fail"}}
        else:
            out = {"jsonrpc": "2.0", "id": msg["id"], "result": {}}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()
''')


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError:
        return None, b""


def get_json(url):
    status, body = get(url)
    return json.loads(body) if status is not None and body else None


class Proxy:
    """mcpwatch proxy in front of ECHO_SERVER, driven line by line."""

    def __init__(self, mcpwatch, tmp_path, store_args, name="echo", env=None, command=None):
        server = tmp_path / "echo_server.py"
        server.write_text(ECHO_SERVER)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        argv = [mcpwatch, "proxy", "--listen", f"127.0.0.1:{self.port}"] + (["--name", name] if name else []) + store_args
        argv += ["--"] + (command or [sys.executable, str(server)])
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env={**os.environ, **(env or {})})
        self.next_id = 1
        self.call("initialize", {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "store-test", "version": "2"}})
        self.proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        self.proc.stdin.flush()

    def call(self, method, params):
        i = self.next_id
        self.next_id += 1
        self.proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": i, "method": method, "params": params}).encode() + b"\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "the proxy closed its output"
        return line

    def tool(self, name):
        line = self.call("tools/call", {"name": name, "arguments": {}})
        answer = json.loads(line)
        # Byte for byte what the server wrote: json.dumps of the same object.
        if name == "boom":
            assert line == (json.dumps({"jsonrpc": "2.0", "id": answer["id"], "error": {"code": -32603, "message": "boom"}}) + "\n").encode()
        else:
            assert line == (json.dumps({"jsonrpc": "2.0", "id": answer["id"], "result": {"content": [{"type": "text", "text": "called " + name}],
                                                                                         "isError": name == "fail"}}) + "\n").encode()
        return answer

    def finish(self):
        self.proc.stdin.close()
        status = self.proc.wait(20)
        self.stderr = self.proc.stderr.read().decode(errors="replace")
        return status

    def health(self):
        return get_json(self.base + "/api/health")

    def metric(self, name):
        status, body = get(self.base + "/metrics")
        if status != 200:
            return None
        for line in body.decode().splitlines():
            if line.startswith(name + "{") or line.startswith(name + " "):
                return float(line.rsplit(" ", 1)[1])
        return None


def report(mcpwatch, store, *args):
    out = subprocess.run([mcpwatch, "report", "--store", str(store), "--json", *args], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def tool_calls(server_report):
    return sum(t["calls"] for t in server_report["targets"] if t["method"] == "tools/call")


def test_history_runs_across_instances_and_the_call_log_answers(mcpwatch, tmp_path):
    store = tmp_path / "state" / "mcpwatch.db"
    first = Proxy(mcpwatch, tmp_path, ["--store", str(store)])
    for name in ["search"] * 8 + ["fail", "boom"]:
        first.tool(name)
    calls = wait_for(lambda: (c := get_json(first.base + "/api/calls?server=echo&target=search")) and c["count"] == 8 and c,
                     what="the call log to hold the calls")
    assert all(c["server"] == "echo" and c["client"] == "store-test 2" and c["outcome"] == "ok" for c in calls["calls"])
    failed = get_json(first.base + "/api/calls?outcome=error")["calls"]
    assert sorted((c["target"], c["outcome"], c.get("error_code")) for c in failed) == [("boom", "jsonrpc_error", -32603), ("fail", "tool_error", None)]
    slowest = get_json(first.base + "/api/calls?sort=duration&limit=3")["calls"]
    assert len(slowest) == 3 and slowest[0]["duration_ms"] >= slowest[1]["duration_ms"] >= slowest[2]["duration_ms"]
    one = get_json(first.base + f"/api/calls?id={failed[0]['id']}")["calls"]
    assert one == [failed[0]]
    assert get(first.base + "/api/calls?outcome=weird")[0] == 400
    assert get(first.base + "/api/calls?since=yesterday-ish")[0] == 400
    assert first.finish() == 0

    # The client restarts its server: a second instance of the same server, whose history goes on.
    second = Proxy(mcpwatch, tmp_path, ["--store", str(store)])
    for name in ["search", "search", "fetch"]:
        second.tool(name)
    assert second.finish() == 0

    [echo] = report(mcpwatch, store, "--server", "echo", "--since", "1h")
    assert tool_calls(echo) == 13
    assert echo["total"]["errors"] == 2
    search = next(t for t in echo["targets"] if t["target"] == "search")
    assert search["calls"] == 10 and search["p95Ms"] > 0
    table = subprocess.run([mcpwatch, "report", "--store", str(store), "--since", "1h"], capture_output=True, text=True, timeout=30)
    assert table.returncode == 0 and "echo" in table.stdout and "tools/call search" in table.stdout

    # As a user with sqlite3 sees it (docs/store.md).
    db = sqlite3.connect(store)
    instances = db.execute("SELECT ended_at IS NOT NULL, exit_status FROM instances i JOIN servers v ON v.id = i.server_id WHERE v.name = 'echo'").fetchall()
    assert instances == [(1, "exited with status 0"), (1, "exited with status 0")]
    assert db.execute("SELECT count(*) FROM clients WHERE name = 'store-test'").fetchone() == (1,)
    assert db.execute("PRAGMA application_id").fetchone() == (0x6D637077,)
    db.close()


def test_a_server_without_name_is_named_by_its_serverinfo(mcpwatch, tmp_path):
    store = tmp_path / "mcpwatch.db"
    p = Proxy(mcpwatch, tmp_path, ["--store", str(store)], name=None)
    p.tool("search")
    assert p.finish() == 0
    db = sqlite3.connect(store)
    assert db.execute("SELECT name, named_by FROM servers").fetchall() == [("store-echo", "serverInfo")]
    db.close()


def test_a_file_that_is_not_a_store_is_never_overwritten_and_the_relay_goes_on(mcpwatch, tmp_path):
    store = tmp_path / "notes.db"
    garbage = b"my notes, not a database\n" * 200
    store.write_bytes(garbage)
    p = Proxy(mcpwatch, tmp_path, ["--store", str(store)])
    for _ in range(20):
        p.tool("search")
    health = wait_for(lambda: (h := p.health()) and h["status"] == "degraded" and h, what="health to say the store is unusable")
    assert "not a mcpwatch store" in health["summary"] and str(store) in health["summary"]
    assert p.metric("mcpwatch_store_up") == 0
    status, body = get(p.base + "/api/calls")
    assert status == 503 and b"not a mcpwatch store" in body
    assert p.finish() == 0
    assert store.read_bytes() == garbage
    assert not pathlib.Path(str(store) + "-wal").exists()
    assert p.stderr.count("cannot write the store") == 1


def test_a_killed_proxy_leaves_a_store_that_opens_cleanly(mcpwatch, tmp_path):
    store = tmp_path / "mcpwatch.db"
    for round in range(3):
        p = Proxy(mcpwatch, tmp_path, ["--store", str(store)], env={"MCPWATCH_STORE_FLUSH_INTERVAL": "10ms"})
        for i in range(200 + 50 * round):
            p.tool("search" if i % 7 else "fail")
        # Killed while it flushes every 10 ms: most likely in the middle of one.
        p.proc.send_signal(signal.SIGKILL)
        p.proc.wait(10)
        for stream in (p.proc.stdin, p.proc.stdout, p.proc.stderr):
            stream.close()
        db = sqlite3.connect(store)
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        db.close()
        [echo] = report(mcpwatch, store, "--server", "echo", "--since", "1h")
        assert tool_calls(echo) > 0
    # A later run still writes.
    p = Proxy(mcpwatch, tmp_path, ["--store", str(store)])
    p.tool("search")
    assert p.finish() == 0
    db = sqlite3.connect(store)
    assert db.execute("SELECT count(*) FROM instances").fetchone() == (4,)
    db.close()


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs (we are root in CI and here): the store's disk, made full on demand."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: pathlib.Path) -> pathlib.Path:
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass
    return filler


def test_a_full_disk_degrades_health_and_writing_resumes_with_every_call(mcpwatch, tmp_path, small_disk):
    store = small_disk / "mcpwatch.db"
    p = Proxy(mcpwatch, tmp_path, ["--store", str(store)])
    for _ in range(10):
        p.tool("search")
    wait_for(lambda: (c := get_json(p.base + "/api/calls")) and c["count"] >= 10, what="the first calls in the store")
    filler = fill(small_disk)
    # The relay goes on, byte for byte, while nothing can be written: a flush's rows no longer fit.
    sent = 10
    deadline = time.monotonic() + 30
    while not ((h := p.health()) and h["status"] == "degraded"):
        assert time.monotonic() < deadline, "health never said the disk is full"
        for name in ["search"] * 40 + ["fail"]:
            p.tool(name)
            sent += 1
    assert "local store cannot be written" in h["summary"]
    assert p.metric("mcpwatch_store_up") == 0
    assert p.metric("mcpwatch_store_flush_failures_total") >= 1
    for _ in range(50):
        p.tool("search")
        sent += 1
    filler.unlink()
    wait_for(lambda: p.metric("mcpwatch_store_up") == 1, timeout=20, what="writing to resume once space returned")
    assert p.health()["status"] == "healthy"
    assert p.finish() == 0
    assert p.stderr.count("cannot write the store") == 1, p.stderr
    assert "the store is written again" in p.stderr
    [echo] = report(mcpwatch, store, "--server", "echo", "--since", "1h")
    assert tool_calls(echo) == sent


def test_twenty_proxies_at_once_lose_no_call(mcpwatch, tmp_path):
    # Each relays `bench` load to its own bench-server, all writing one store: the calls in the store equal the calls
    # the load generators made. Each proxy gets time to make its last flush (--stop-grace): on a loaded machine 20 of them
    # finishing at once take longer than bench's default 2 s, and a SIGKILL loses the last flush by design.
    store = tmp_path / "mcpwatch.db"
    benches = []
    for i in range(20):
        argv = [mcpwatch, "bench", "--tool", "echo", "--args", '{"text":"hi"}', "--rate", "1000", "--duration", "3s", "--json", "--stop-grace", "60s", "--",
                mcpwatch, "proxy", "--no-http", "--name", f"bench-{i}", "--store", str(store), "--", mcpwatch, "bench-server"]
        benches.append(subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    sent = {}
    for i, b in enumerate(benches):
        out, err = b.communicate(timeout=120)
        assert b.returncode == 0, err
        r = json.loads(out)
        # Calls the open loop gave up on before sending them (more than --max-in-flight unanswered, which a loaded
        # machine reaches) are counted as overload errors and never reached the proxy.
        sent[f"bench-{i}"] = r["calls"] - r["errors"]["overload"] + r.get("warmup_calls", 0)
    reports = {r["server"]: r for r in report(mcpwatch, store, "--since", "1h")}
    assert sorted(reports) == sorted(sent)
    for name, calls in sent.items():
        assert tool_calls(reports[name]) == calls, name


def test_capture_keeps_arguments_and_results_of_a_real_server_only_when_asked(mcpwatch, peers, tmp_path):
    """store.capture=full in front of mcp-server-time: the call log keeps the request's arguments and the answer's
    result as the bytes that went by, for one call (id=); the same server with the default keeps neither."""
    flush = {"MCPWATCH_STORE_FLUSH_INTERVAL": "50ms"}
    kept, answers = {}, {}
    for capture in ("full", None):
        store = tmp_path / f"capture-{capture}.db"
        env = {**flush, "MCPWATCH_STORE_CAPTURE": capture} if capture else flush
        p = Proxy(mcpwatch, tmp_path, ["--store", str(store)], name="time", env=env, command=[peers["time_server"]])
        try:
            line = p.call("tools/call", {"name": "get_current_time", "arguments": {"timezone": "Europe/Paris"}})
            answer = json.loads(line)
            assert "result" in answer and not answer["result"].get("isError"), answer

            def logged():
                body = get_json(p.base + "/api/calls?target=get_current_time")
                return body["calls"] if body and body["calls"] else None
            listed = wait_for(logged, timeout=20, what="the call in the call log")
            assert "arguments" not in listed[0] and "result" not in listed[0]  # lists leave them out
            kept[capture] = get_json(p.base + f"/api/calls?id={listed[0]['id']}")["calls"][0]
            with sqlite3.connect(store) as db:
                rows = db.execute("SELECT arguments, result FROM calls").fetchall()
            if capture is None:
                assert rows and all(r == (None, None) for r in rows), rows
            else:
                assert any(a == '{"timezone": "Europe/Paris"}' and r for a, r in rows), rows
            answers[capture] = line
        finally:
            assert p.finish() == 0
    full = kept["full"]
    # The raw JSON text as the client sent it, and the server's result as it answered.
    assert full["arguments"] == '{"timezone": "Europe/Paris"}'
    assert json.loads(full["result"]) == json.loads(answers["full"])["result"]
    assert full["result"] in answers["full"].decode()
    assert "arguments" not in kept[None] and "result" not in kept[None]

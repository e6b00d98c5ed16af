"""`mcpwatch health` against a running mcpwatch proxy in front of the demo server: exit 0, 1 and 2 as documented."""
import json
import os
import subprocess

import pytest

from conftest import free_port, wait_for


class DemoProxy:
    """mcpwatch proxy in front of `mcpwatch demo-server`, driven line by line."""

    def __init__(self, mcpwatch, env=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [mcpwatch, "proxy", "--listen", f"127.0.0.1:{self.port}", "--log-level", "warning", "--", mcpwatch, "demo-server"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=dict(os.environ, **(env or {})))
        self.next_id = 1
        self.request("initialize", {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}})
        self.proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        self.proc.stdin.flush()

    def request(self, method, params):
        self.proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}).encode() + b"\n")
        self.proc.stdin.flush()
        self.next_id += 1
        return json.loads(self.proc.stdout.readline())

    def call(self, tool, arguments):
        return self.request("tools/call", {"name": tool, "arguments": arguments})

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(15)


@pytest.fixture
def demo(mcpwatch):
    proxies = []

    def start(env=None):
        p = DemoProxy(mcpwatch, env)
        proxies.append(p)
        return p

    yield start
    for p in proxies:
        p.stop()


def health(mcpwatch, *args):
    out = subprocess.run([mcpwatch, "health", *args], capture_output=True, text=True, timeout=60)
    return out.returncode, out.stdout.strip(), out.stderr


def wait_http(mcpwatch, p, *args):
    # The HTTP side starts beside the relay; wait until it answers at all (exit 2 means unreachable).
    return wait_for(lambda: (lambda r: r if r[0] != 2 else None)(health(mcpwatch, p.url, *args)), timeout=30, what="the HTTP API")


def test_healthy_exits_zero_and_slow_exits_one(mcpwatch, demo):
    p = demo()
    assert p.call("echo", {"text": "hi"})["result"]["content"][0]["text"] == "hi"
    code, line, _ = wait_http(mcpwatch, p)
    assert code == 0, line
    assert line.startswith("healthy: 2 calls, server running (")  # initialize and echo and line.endswith(" ms)"), line
    # A base address with a trailing slash and the full endpoint address mean the same.
    assert health(mcpwatch, p.url + "/")[0] == 0
    assert health(mcpwatch, p.url + "/performance/health")[0] == 0
    code, line, _ = health(mcpwatch, p.url, "--max-response-time", "0.000001")
    assert code == 1 and line.startswith("slow: answered in") and "over the allowed 1 µs; healthy: 2 calls" in line, line
    code, out, _ = health(mcpwatch, p.url, "--json")
    assert code == 0 and json.loads(out)["status"] == "healthy" and json.loads(out)["total_calls"] == 2


def test_degraded_exits_one_and_unhealthy_exits_two(mcpwatch, demo):
    p = demo()
    # initialize counts as a call: 8 good, 2 failed.
    for _ in range(7):
        assert "result" in p.call("echo", {"text": "x"})
    for _ in range(2):
        assert p.call("calculate", {"a": 1, "b": 0, "op": "div"})["error"]["code"] == -32602
    code, line, _ = wait_http(mcpwatch, p)
    assert code == 1, line
    assert line.startswith("degraded: error rate over the last minute is 20 %"), line
    for _ in range(30):
        p.call("calculate", {"a": 1, "b": 0, "op": "div"})
    code, line, _ = health(mcpwatch, p.url)
    assert code == 2, line
    assert line.startswith("unhealthy: error rate over the last minute is"), line
    assert health(mcpwatch, p.url, "--quiet") == (2, "", "")


def test_unreachable_exits_two(mcpwatch):
    code, line, _ = health(mcpwatch, f"http://127.0.0.1:{free_port()}", "--timeout", "5")
    assert code == 2
    assert line.startswith("unreachable: http://127.0.0.1:") and "connection refused" in line, line
    code, out, _ = health(mcpwatch, f"http://127.0.0.1:{free_port()}", "--json")
    assert code == 2 and json.loads(out)["status"] == "unreachable" and "connection refused" in json.loads(out)["summary"], out
    code, _, err = health(mcpwatch, "ftp://example.org")
    assert code != 0 and "is not an http:// or https:// address" in err


def test_api_key_from_file(mcpwatch, demo, tmp_path):
    p = demo(env={"MCPWATCH_API_KEY": "s3cret"})
    p.call("echo", {"text": "hi"})
    right = tmp_path / "key"
    right.write_text("# the key\ns3cret\n")
    code, line, _ = wait_http(mcpwatch, p, "--api-key-file", str(right))
    assert code == 0 and line.startswith("healthy:"), line
    wrong = tmp_path / "wrong"
    wrong.write_text("nope\n")
    code, line, _ = health(mcpwatch, p.url, "--api-key-file", str(wrong))
    assert code == 2 and "refused the API key (HTTP 401)" in line, line
    code, line, _ = health(mcpwatch, p.url)
    assert code == 2 and "needs an API key (HTTP 401): pass it with --api-key-file or MCPWATCH_API_KEY" in line, line
    code, _, err = health(mcpwatch, p.url, "--api-key-file", str(tmp_path / "missing"))
    assert code not in (0, 1, 2) and "cannot read the API key file" in err

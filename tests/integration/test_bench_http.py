"""`mcpwatch bench --url`: load over the Streamable HTTP transport, against mcp-proxy (PyPI) bridging a stdio server."""
import json
import socket
import subprocess
import time

import pytest

from conftest import free_port, wait_for


def listening(port):
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def mcp_proxy(mcpwatch, peers):
    port = free_port()
    proc = subprocess.Popen([peers["mcp_proxy"], "--port", str(port), "--host", "127.0.0.1", "--", mcpwatch, "bench-server"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: listening(port), timeout=30, what="mcp-proxy to listen")
    yield f"http://127.0.0.1:{port}/mcp"
    proc.terminate()
    proc.wait(15)


def bench(mcpwatch, *args):
    out = subprocess.run([mcpwatch, "bench", *args], capture_output=True, text=True, timeout=120)
    return out.returncode, out.stdout, out.stderr


def test_closed_and_open_loop_over_streamable_http(mcpwatch, mcp_proxy):
    code, out, err = bench(mcpwatch, "--url", mcp_proxy, "--concurrency", "4", "--requests", "200", "--json")
    assert code == 0, err
    r = json.loads(out)
    assert r["url"] == mcp_proxy and "command" not in r
    assert r["ok"] == 200 and r["calls"] == 200 and sum(r["errors"].values()) == 0
    assert r["server"]["name"] == "mcpwatch-bench-server" and r["concurrency"] == 4
    code, out, err = bench(mcpwatch, "--url", mcp_proxy, "--rate", "100", "--duration", "1s", "--json", "--args", '{"text":"hi"}')
    assert code == 0, err
    r = json.loads(out)
    assert r["mode"] == "open" and r["ok"] >= 90 and sum(r["errors"].values()) == 0


def test_an_unreachable_url_is_a_clear_error(mcpwatch):
    code, out, err = bench(mcpwatch, "--url", f"http://127.0.0.1:{free_port()}/mcp", "--requests", "5")
    assert code == 1
    assert "no answer to initialize from http://127.0.0.1:" in err and "connection refused" in err
    code, _, err = bench(mcpwatch, "--url", "http://127.0.0.1:1/mcp", "--", "x")
    assert code == 64 and "either --url or a command" in err

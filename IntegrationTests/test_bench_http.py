"""`mcpwatch bench --url`: load over the Streamable HTTP transport, against mcp-proxy (PyPI) bridging a stdio server."""
import json
import re
import signal
import socket
import subprocess
import time

import pytest

from conftest import free_port, stop, wait_for


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


@pytest.fixture
def bench_server_http(mcpwatch):
    """`mcpwatch bench-server --http 127.0.0.1:0`: the process and its endpoint, read from what it prints."""
    server = subprocess.Popen([mcpwatch, "bench-server", "--http", "127.0.0.1:0"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    match = re.search(r"at (http://127\.0\.0\.1:\d+/mcp)$", server.stderr.readline().strip())
    assert match
    yield server, match.group(1)
    stop(server)


@pytest.mark.parametrize("load", [["-c", "2"], ["--rate", "200"]])
def test_a_server_that_dies_mid_run_ends_it_as_incomplete(mcpwatch, bench_server_http, load):
    # As the reviewer found: the server killed 1 s into a 30 s run. Refused reconnections must end the run with a
    # clear reason and status 1, not be counted by the thousand as calls until the duration is over.
    server, url = bench_server_http
    run = subprocess.Popen([mcpwatch, "bench", "--url", url, *load, "--duration", "30s", "--json"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1)
    server.kill()
    server.wait(5)
    out, err = run.communicate(timeout=20)
    assert run.returncode == 1, err
    r = json.loads(out)
    assert r["completed"] is False and "stopped accepting connections" in r["failure"] and "connection refused" in r["failure"]
    assert r["ok"] > 0 and r["errors"]["transport"] < 50, r
    assert "the run ended early: the server stopped accepting connections" in err


@pytest.mark.parametrize("load", [["-c", "2"], ["--rate", "200"]])
def test_ctrl_c_stops_an_http_run_with_its_figures(mcpwatch, bench_server_http, load):
    _, url = bench_server_http
    run = subprocess.Popen([mcpwatch, "bench", "--url", url, *load, "--duration", "30s", "--json"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=15)
    assert run.returncode == 130, err
    r = json.loads(out)
    assert r["completed"] is False and "interrupted" in r["failure"] and r["ok"] > 0
    assert r["calls"] == r["ok"] + sum(r["errors"].values())

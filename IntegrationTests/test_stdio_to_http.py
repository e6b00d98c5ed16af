"""`mcpwatch proxy --upstream URL` without `--serve-http`: the official Python SDK's *stdio* client (1.x and 2.x)
launches mcpwatch, which speaks Streamable HTTP to the SDK's server; compared with a direct HTTP connection."""
import json
import signal
import subprocess
import textwrap

import pytest

from conftest import free_port, wait_for
from test_http_proxy import CALLS, port_open, run_client

# Runs in either SDK's venv: launches argv[1] with the arguments in argv[2] over stdio, prints one JSON line per
# result (as test_http_proxy's client does), then the monitoring report from argv[3] while still connected.
STDIO_CLIENT = textwrap.dedent("""
    import json, sys, urllib.request
    import anyio
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    def dump(model):
        return json.dumps(model.model_dump(mode="json", by_alias=True, exclude_none=True), sort_keys=True)

    async def main(command, args, report_url, calls):
        params = StdioServerParameters(command=command, args=args)
        with anyio.fail_after(60):
            async with stdio_client(params) as streams, ClientSession(streams[0], streams[1]) as s:
                init = await s.initialize()
                print(json.dumps({"server": init.model_dump(mode="json", by_alias=True)["serverInfo"]["name"]}), flush=True)
                print(dump(await s.list_tools()), flush=True)
                for name, arguments in calls:
                    print(dump(await s.call_tool(name, arguments)), flush=True)
                if report_url:
                    with urllib.request.urlopen(report_url, timeout=10) as r:
                        print(json.dumps({"report": json.loads(r.read())}), flush=True)
        print(json.dumps({"done": True}), flush=True)

    anyio.run(main, sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4]))
""")

# Two calls at once on one session: the slow one first. Prints the order in which their results arrived.
CONCURRENT_CLIENT = textwrap.dedent("""
    import json, sys
    import anyio
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    async def main(command, args):
        order = []
        async with stdio_client(StdioServerParameters(command=command, args=args)) as streams, ClientSession(streams[0], streams[1]) as s:
            with anyio.fail_after(60):
                await s.initialize()
                started = anyio.Event()

                async def slow():
                    started.set()
                    result = await s.call_tool("sleep_ms", {"ms": 500})
                    order.append(["sleep_ms", result.content[0].text])

                async def fast():
                    await started.wait()
                    result = await s.call_tool("echo", {"text": "quick"})
                    order.append(["echo", result.content[0].text])

                async with anyio.create_task_group() as tg:
                    tg.start_soon(slow)
                    tg.start_soon(fast)
        print(json.dumps(order), flush=True)

    anyio.run(main, sys.argv[1], json.loads(sys.argv[2]))
""")

# An upstream that is not running: the first request must fail quickly, not hang.
DOWN_CLIENT = textwrap.dedent("""
    import json, sys
    import anyio
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    async def main(command, args):
        async with stdio_client(StdioServerParameters(command=command, args=args)) as streams, ClientSession(streams[0], streams[1]) as s:
            with anyio.fail_after(20):
                try:
                    await s.initialize()
                    print(json.dumps({"error": None}), flush=True)
                except Exception as e:
                    print(json.dumps({"error": str(e), "type": type(e).__name__}), flush=True)

    anyio.run(main, sys.argv[1], json.loads(sys.argv[2]))
""")


@pytest.fixture
def upstream(peers):
    port = free_port()
    server = subprocess.Popen(
        [peers["sdk2_python"], peers["echo_server"], "--transport", "streamable-http", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: port_open(port), 30, what="the echo server")
    yield f"http://127.0.0.1:{port}/mcp"
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(5)


def run_stdio(python, script, *argv, timeout=90):
    done = subprocess.run([python, "-c", script, *argv], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith(("{", "["))]


@pytest.mark.parametrize("sdk", ["sdk2_python", "sdk1_python"])
def test_stdio_client_gets_identical_results_and_every_call_is_measured(mcpwatch, peers, upstream, sdk):
    direct = run_client(peers[sdk], upstream)
    listen = free_port()
    lines = run_stdio(peers[sdk], STDIO_CLIENT, mcpwatch,
                      json.dumps(["proxy", "--upstream", upstream, "--listen", f"127.0.0.1:{listen}"]),
                      f"http://127.0.0.1:{listen}/api/report", json.dumps(CALLS))
    assert lines[-1] == {"done": True}
    report = lines[-2]["report"]
    proxied = lines[:-2]
    assert proxied == direct
    assert proxied[0] == {"server": "echo-peer"}
    assert "slept 300 ms" in json.dumps(proxied[4])

    targets = {(t["method"], t["name"]): t for t in report["targets"]}
    assert targets[("tools/call", "echo")]["calls"] == 2
    assert targets[("tools/call", "sleep_ms")]["calls"] == 1
    assert targets[("tools/call", "fail")]["outcomes"]["tool_error"] == 1
    assert targets[("tools/call", "no_such_tool")]["calls"] == 1
    assert targets[("initialize", "initialize")]["calls"] == 1
    assert targets[("tools/list", "tools/list")]["calls"] >= 1  # SDK 1.x may list again to validate a result
    assert report["overview"]["outcomes"].get("lost", 0) == 0
    assert report["anomalies"]["total"] == 0
    assert report["session"]["client"]["name"] == "mcp"
    assert report["session"]["protocol_version"]
    # The one upstream session, named by the server, with its calls.
    [session] = report["session"]["sessions"]
    assert session["calls"] == sum(t["calls"] for t in report["targets"] if t["direction"] == "client_to_server")


def test_a_slow_call_does_not_hold_up_another(mcpwatch, peers, upstream):
    [order] = run_stdio(peers["sdk2_python"], CONCURRENT_CLIENT, mcpwatch,
                        json.dumps(["proxy", "--upstream", upstream, "--no-http"]))
    assert [name for name, _ in order] == ["echo", "sleep_ms"], order
    assert order[0][1] == "quick" and "slept 500 ms" in order[1][1]


@pytest.mark.parametrize("sdk", ["sdk2_python", "sdk1_python"])
def test_upstream_not_running_gives_an_error_not_a_hang(mcpwatch, peers, sdk):
    url = f"http://127.0.0.1:{free_port()}/mcp"
    [out] = run_stdio(peers[sdk], DOWN_CLIENT, mcpwatch,
                      json.dumps(["proxy", "--upstream", url, "--no-http", "--upstream-connect-timeout", "2"]), timeout=60)
    assert out["error"], out
    assert "unavailable" in out["error"] and url in out["error"], out


def test_a_pipelined_session_works_stdout_holds_only_protocol_lines_and_eof_ends_it(mcpwatch, upstream, raw_session):
    # All at once, without waiting for the initialize answer: the later POSTs need the session id it names.
    s = raw_session([mcpwatch, "proxy", "--upstream", upstream, "--no-http", "--log-level", "debug"])
    s.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}).encode() + b"\n"
        + b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n'
        + b'{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"a\\nb"}}}\n')
    init = json.loads(s.read_line(30))
    assert init["id"] == 1 and init["result"]["serverInfo"]["name"] == "echo-peer"
    echo = json.loads(s.read_line(30))
    assert echo["id"] == 2 and echo["result"]["content"][0]["text"] == "a\nb", echo
    s.close_input()
    assert s.wait(20) == 0
    assert s.proc.stdout.read() == b""
    log = s.stderr()
    assert "ended the session" in log

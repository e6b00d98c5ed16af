"""MCP 2026-07-28 and the older era side by side in every mode (issue 17, item 1): through mcpwatch a client
negotiates exactly the protocol version it negotiates directly, and gets the same results.

The official Python SDK 2.3 `Client` in each of its modes (auto, 2026-07-28, legacy) against the SDK's own server,
mcp-server-time 2026.10.19, FastMCP (which speaks 2026-07-28 too) and a legacy-only server (mcp-server-time
2026.10.10 on the SDK 1.x, which knows no `server/discover`), over stdio and Streamable HTTP, through the stdio front
(`--upstream` without `--serve-http`) and the bridge (per session and `--shared-server`), with the stdio relay and
the reverse proxy in front of the servers test_modern_identity.py does not use. The SDK 1.x client keeps its session
on the bridge beside modern clients. test_modern_identity.py covers the relay and the reverse proxy in front of
mcp-server-time and the SDK's HTTP server.
"""
import json
import pathlib
import subprocess
import textwrap

import pytest

from conftest import PEERS_DIR, free_port, read_report, stop, wait_for
from test_bridge import bridge  # noqa: F401  (fixture)
from test_http_proxy import get, port_open, post
from test_http_proxy import run_client as run_legacy_client

HERE = pathlib.Path(__file__).parent

# The SDK 2.3 Client in one mode: lists the tools and calls one. Prints what came back, or the MCP error it failed with
# (a modern-only client against a legacy-only server fails, directly as through mcpwatch).
CLIENT = textwrap.dedent(r"""
    import anyio, json, sys
    from mcp import Client, StdioServerParameters
    from mcp.shared.exceptions import MCPError
    mode, target = sys.argv[1], json.loads(sys.argv[2])
    tool, arguments = json.loads(sys.argv[3])

    def leaf(error):
        while isinstance(error, BaseExceptionGroup):
            error = error.exceptions[0]
        return error

    async def main():
        server = target if isinstance(target, str) else StdioServerParameters(command=target[0], args=target[1:])
        with anyio.fail_after(60):
            async with Client(server, mode=mode) as client:
                tools = sorted(t.name for t in (await client.list_tools()).tools)
                result = await client.call_tool(tool, arguments)
                text = result.content[0].text
                if tool == "get_current_time":
                    text = sorted(json.loads(text))  # the time itself changes between runs
                print(json.dumps({"version": client.protocol_version, "tools": tools, "text": text, "error": result.is_error}))

    try:
        anyio.run(main)
    except BaseException as error:
        error = leaf(error)
        if not isinstance(error, MCPError):
            raise
        print(json.dumps({"failed": error.error.code, "message": error.error.message}))
""")

MODES = ["auto", "2026-07-28", "legacy"]
TIME_CALL = ["get_current_time", {"timezone": "UTC"}]
ECHO_CALL = ["echo", {"text": "both eras"}]


def run_client(python, mode, target, call):
    out = subprocess.run([python, "-c", CLIENT, mode, json.dumps(target), json.dumps(call)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def fastmcp_python():
    path = PEERS_DIR / "fastmcp/bin/python"
    if not path.exists():
        pytest.fail(f"FastMCP not found at {path}: run scripts/test, which installs it (IntegrationTests/peers/setup.sh)")
    return str(path)


# The stdio servers: command, the tool to call, the server's name, and whether it speaks 2026-07-28.
def stdio_server(peers, kind):
    return {
        "time": ([peers["time_server"]], TIME_CALL, "mcp-time", True),
        "sdk": ([peers["sdk2_python"], peers["echo_server"]], ECHO_CALL, "echo-peer", True),
        "fastmcp": ([fastmcp_python(), str(HERE / "peers/fastmcp_server.py")], ECHO_CALL, "fastmcp-peer", True),
        "legacy": ([str(PEERS_DIR / "sdk1/bin/mcp-server-time")], TIME_CALL, "mcp-time", False),
    }[kind]


class HTTPServer:
    """A Streamable HTTP MCP server of the peers' at /mcp on a free port."""

    def __init__(self, argv, port):
        self.port = port
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: port_open(port), 30, what=f"the MCP server on port {port}")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/mcp"


@pytest.fixture
def http_server(peers):
    started = []

    def start(kind):
        port = free_port()
        argv, call, name = {
            "sdk": ([peers["sdk2_python"], peers["echo_server"], "--transport", "streamable-http", "--port", str(port)], ECHO_CALL, "echo-peer"),
            "fastmcp": ([fastmcp_python(), str(HERE / "peers/fastmcp_server.py"), "--transport", "http", "--port", str(port)], ECHO_CALL, "fastmcp-peer"),
            "legacy": ([peers["sdk1_python"], peers["echo_server"], "--transport", "streamable-http", "--port", str(port)], ECHO_CALL, "echo-peer"),
        }[kind]
        server = HTTPServer(argv, port)
        started.append(server)
        return server, call, name

    yield start
    stop(*(s.proc for s in started))


def assert_named(session, direct, server_name):
    """The report names the client and the server, and the version the client negotiated."""
    assert session["client"]["name"] == "mcp"
    assert session["server"]["name"] == server_name
    if "version" in direct:
        assert session["protocol_version"] == direct["version"]


# The stdio front: a stdio client, an HTTP server.

@pytest.mark.parametrize("kind", ["sdk", "fastmcp", "legacy"])
@pytest.mark.parametrize("mode", MODES)
def test_stdio_front_keeps_the_version_the_client_negotiates_directly(mcpwatch, peers, http_server, tmp_path, kind, mode):
    server, call, name = http_server(kind)
    direct = run_client(peers["sdk2_python"], mode, server.url, call)
    report_file = tmp_path / "report.json"
    front = [mcpwatch, "proxy", "--upstream", server.url, "--no-http", "--report-file", str(report_file)]
    proxied = run_client(peers["sdk2_python"], mode, front, call)
    assert proxied == direct
    if kind == "legacy":
        # A server of the older era: the probe is refused as it is directly, and the client falls back (or, when it
        # speaks only 2026-07-28, fails with the same error).
        assert direct.get("version", "2025-11-25") == "2025-11-25"
        assert ("failed" in direct) == (mode == "2026-07-28")
    else:
        assert direct["version"] == ("2025-11-25" if mode == "legacy" else "2026-07-28")
    if "version" in direct:
        assert_named(read_report(report_file)["session"], direct, name)


def test_stdio_front_in_front_of_the_bridge_keeps_mcp_server_time_modern(mcpwatch, peers, bridge, tmp_path):
    # mcp-server-time speaks stdio only: the bridge serves it over Streamable HTTP, and the stdio front reaches that;
    # a stdio client gets from the two what it gets from the server itself.
    b = bridge([peers["time_server"]])
    for mode in MODES:
        direct = run_client(peers["sdk2_python"], mode, [peers["time_server"]], TIME_CALL)
        report_file = tmp_path / f"report-{mode}.json"
        proxied = run_client(peers["sdk2_python"], mode,
                             [mcpwatch, "proxy", "--upstream", b.url, "--no-http", "--report-file", str(report_file)], TIME_CALL)
        assert proxied == direct
        assert direct["version"] == ("2025-11-25" if mode == "legacy" else "2026-07-28")
        assert_named(read_report(report_file)["session"], direct, "mcp-time")


def test_stdio_front_posts_a_modern_cancellation_by_closing_the_request(mcpwatch, peers, http_server, raw_session, tmp_path):
    # The SDK's HTTP server checks Mcp-Method, Mcp-Name and MCP-Protocol-Version against the body (-32020 when they
    # disagree, 400 without a session for anything of the older era): these calls succeed only if the front sends
    # what a modern client sends. The cancelled call gets no answer, and is measured as cancelled.
    server, _, _ = http_server("sdk")
    report_file = tmp_path / "report.json"
    s = raw_session([mcpwatch, "proxy", "--upstream", server.url, "--no-http", "--report-file", str(report_file)])
    meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "raw-modern", "version": "1"}}

    def send(message):
        s.send((json.dumps(message) + "\n").encode())

    send({"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": meta}})
    discovered = json.loads(s.read_line(30))
    assert "2026-07-28" in discovered["result"]["supportedVersions"], discovered
    send({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "sleep_ms", "arguments": {"ms": 30_000}, "_meta": meta}})
    send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 2, "reason": "test"}})
    send({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "echo", "arguments": {"text": "after"}, "_meta": meta}})
    answer = json.loads(s.read_line(30))
    assert answer["id"] == 3, answer
    assert answer["result"]["content"][0]["text"] == "after"
    s.close_input()
    assert s.wait(30) == 0
    report = read_report(report_file)
    assert report["overview"]["outcomes"]["cancelled"] == 1
    assert report["overview"]["outcomes"]["lost"] == 0
    assert report["session"]["client"]["name"] == "raw-modern"
    assert report["session"]["protocol_version"] == "2026-07-28"


# The bridge: an HTTP client, a stdio server.

@pytest.mark.parametrize("kind", ["time", "sdk", "fastmcp", "legacy"])
@pytest.mark.parametrize("bridge_mode", [[], ["--shared-server"]], ids=["per-session", "shared"])
def test_bridge_keeps_the_version_the_client_negotiates_directly(bridge, peers, kind, bridge_mode):
    command, call, name, modern = stdio_server(peers, kind)
    b = bridge(command, *bridge_mode)
    legacy_sessions = 0
    for mode in MODES:
        direct = run_client(peers["sdk2_python"], mode, command, call)
        proxied = run_client(peers["sdk2_python"], mode, b.url, call)
        assert proxied == direct, mode
        if modern:
            assert direct["version"] == ("2025-11-25" if mode == "legacy" else "2026-07-28")
        else:
            # The legacy-only server's answer to the probe reaches the client as it is: it falls back, or fails the
            # same way when it will speak nothing older.
            assert direct.get("version", "2025-11-25") == "2025-11-25"
            assert ("failed" in direct) == (mode == "2026-07-28")
        if direct.get("version") == "2025-11-25":
            legacy_sessions += 1
        report = b.api("/api/report")
        assert_named(report["session"], direct, name)
    # Only the clients of the older era opened sessions (and ended them); the modern ones had none.
    sessions = b.api("/api/sessions")
    assert sessions["sessions_total"] == legacy_sessions
    assert sessions["session_count"] == 0
    # One child answers every modern POST (the probes of the clients that fell back included); the sessions have
    # theirs, or share one.
    assert b.servers_started() == 1 + (legacy_sessions if not bridge_mode else min(legacy_sessions, 1))
    report = b.api("/api/report")
    targets = {(t["method"], t["name"]): t for t in report["targets"]}
    assert targets[("tools/call", call[0])]["calls"] == (3 if modern else 2)
    assert report["anomalies"]["total"] == 0


@pytest.mark.parametrize("bridge_mode", [[], ["--shared-server"]], ids=["per-session", "shared"])
def test_bridge_serves_both_eras_side_by_side_on_one_endpoint(bridge, peers, bridge_mode):
    # A session of the older era stays open (and works) while modern clients come and go without sessions, and the
    # SDK 1.x client gets its session as before.
    b = bridge([peers["sdk2_python"], peers["echo_server"]], *bridge_mode)
    session = b.initialize()
    modern = run_client(peers["sdk2_python"], "auto", b.url, ECHO_CALL)
    assert modern["version"] == "2026-07-28" and modern["text"] == "both eras"
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "echo", "arguments": {"text": "still here"}}}
    status, _, body = post(b.url, json.dumps(call).encode(), {"Mcp-Session-Id": session})
    assert status == 200, body
    assert json.loads(body)["result"]["content"][0]["text"] == "still here"
    older = run_legacy_client(peers["sdk1_python"], b.url)
    assert older[0] == {"server": "echo-peer"}
    sessions = b.api("/api/sessions")
    assert sessions["sessions_total"] == 2
    assert sessions["session_count"] == 1  # the raw session, still open; the SDK 1.x client ended its own


def test_a_modern_request_without_a_session_is_answered_and_one_of_the_older_era_still_is_not(bridge, peers):
    b = bridge([peers["sdk2_python"], peers["echo_server"]])
    meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
    headers = {"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/list"}
    status, answer_headers, body = post(b.url, json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": meta}}).encode(), headers)
    assert status == 200, body
    assert "mcp-session-id" not in {k.lower() for k in answer_headers}
    assert "echo" in {t["name"] for t in json.loads(body)["result"]["tools"]}
    # A version the server does not speak: its -32022 comes back with HTTP 400, as from a modern HTTP server.
    meta["io.modelcontextprotocol/protocolVersion"] = "2099-01-01"
    status, _, body = post(b.url, json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {"_meta": meta}}).encode(),
                           {"MCP-Protocol-Version": "2099-01-01", "Mcp-Method": "tools/list"})
    assert status == 400, body
    assert json.loads(body)["error"]["code"] == -32022
    # The older era without a session: refused as before.
    status, _, body = post(b.url, json.dumps({"jsonrpc": "2.0", "id": 3, "method": "tools/list"}).encode())
    assert status == 400 and "Mcp-Session-Id" in json.loads(body)["error"]["message"]
    assert b.api("/api/sessions")["sessions_total"] == 0


# The stdio relay and the reverse proxy, in front of the servers test_modern_identity.py does not use.

@pytest.mark.parametrize("kind", ["sdk", "fastmcp"])
@pytest.mark.parametrize("mode", MODES)
def test_stdio_relay_keeps_the_version_with_the_sdks_server_and_fastmcp(mcpwatch, peers, tmp_path, kind, mode):
    command, call, name, _ = stdio_server(peers, kind)
    direct = run_client(peers["sdk2_python"], mode, command, call)
    report_file = tmp_path / "report.json"
    proxied = run_client(peers["sdk2_python"], mode, [mcpwatch, "proxy", "--no-http", "--report-file", str(report_file), "--", *command], call)
    assert proxied == direct
    assert direct["version"] == ("2025-11-25" if mode == "legacy" else "2026-07-28")
    assert_named(read_report(report_file)["session"], direct, name)


@pytest.mark.parametrize("mode", MODES)
def test_reverse_proxy_keeps_the_version_with_fastmcp(mcpwatch, peers, http_server, mode):
    server, call, name = http_server("fastmcp")
    serve_port, listen_port = free_port(), free_port()
    proxy = subprocess.Popen([mcpwatch, "proxy", "--upstream", server.url, "--serve-http", f"127.0.0.1:{serve_port}",
                              "--listen", f"127.0.0.1:{listen_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for port in (serve_port, listen_port):
            wait_for(lambda: port_open(port), 30, what=f"port {port}")
        direct = run_client(peers["sdk2_python"], mode, server.url, call)
        proxied = run_client(peers["sdk2_python"], mode, f"http://127.0.0.1:{serve_port}/mcp", call)
        assert proxied == direct
        assert direct["version"] == ("2025-11-25" if mode == "legacy" else "2026-07-28")
        assert_named(json.loads(get(f"http://127.0.0.1:{listen_port}/api/report"))["session"], direct, name)
    finally:
        stop(proxy)


# 2026-07-28 features that depend on what mcpwatch sends and routes: tool parameters mirrored into headers, and
# subscriptions/listen streams.

MODERN_SERVER = str(HERE / "peers/modern_server.py")

LISTEN_CLIENT = textwrap.dedent(r"""
    import anyio, json, sys
    from mcp import Client, StdioServerParameters
    target = json.loads(sys.argv[1])

    async def main():
        server = target if isinstance(target, str) else StdioServerParameters(command=target[0], args=target[1:])
        with anyio.fail_after(60):
            async with Client(server, mode="auto") as client:
                events = []
                async with client.listen(tools_list_changed=True) as sub:
                    announced = (await client.call_tool("change", {})).content[0].text
                    async for event in sub:
                        events.append(type(event).__name__)
                        break
                after = (await client.call_tool("where", {"region": "eu-west", "query": "q"})).content[0].text
                print(json.dumps({"version": client.protocol_version, "announced": announced, "events": events, "after": after}))

    anyio.run(main)
""")


def test_stdio_front_mirrors_marked_tool_parameters_into_headers(mcpwatch, peers, tmp_path):
    port = free_port()
    server = HTTPServer([peers["sdk2_python"], MODERN_SERVER, "--transport", "streamable-http", "--port", str(port)], port)
    try:
        call = ["where", {"region": "eu-west", "query": "q"}]
        # The server refuses a modern call whose marked parameter has no Mcp-Param-Region header.
        meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "where", "arguments": call[1], "_meta": meta}}
        status, _, refused = post(server.url, json.dumps(body).encode(),
                                  {"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "where"})
        assert status == 400 and json.loads(refused)["error"]["code"] == -32020, refused
        direct = run_client(peers["sdk2_python"], "2026-07-28", server.url, call)
        assert direct["text"] == "q in eu-west"
        front = [mcpwatch, "proxy", "--upstream", server.url, "--no-http", "--report-file", str(tmp_path / "report.json")]
        assert run_client(peers["sdk2_python"], "2026-07-28", front, call) == direct
    finally:
        stop(server.proc)


@pytest.mark.parametrize("bridge_mode", [[], ["--shared-server"]], ids=["per-session", "shared"])
def test_bridge_routes_a_subscription_and_notices_when_its_client_leaves(bridge, peers, bridge_mode):
    command = [peers["sdk2_python"], MODERN_SERVER]

    def listen(target):
        out = subprocess.run([peers["sdk2_python"], "-c", LISTEN_CLIENT, json.dumps(target)], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-3000:]
        return json.loads(out.stdout.strip().splitlines()[-1])

    direct = listen(command)
    assert direct == {"version": "2026-07-28", "announced": "announced", "events": ["ToolsListChanged"], "after": "q in eu-west"}
    b = bridge(command, *bridge_mode)
    assert listen(b.url) == direct
    # The client closed its subscriptions/listen stream: the bridge notices (at the next keep-alive at the latest)
    # and tells the server, so nothing stays in flight and nothing is lost.
    wait_for(lambda: b.api("/api/report")["overview"]["in_flight"] == 0, 60, interval=0.5, what="the closed subscription to end")
    report = b.api("/api/report")
    assert report["overview"]["outcomes"]["lost"] == 0
    assert report["anomalies"]["total"] == 0
    assert b.api("/api/sessions")["sessions_total"] == 0


# Item 7: what 2026-07-28 deprecates keeps working for older peers through the bridge and the front: initialize,
# ping, logging/setLevel, and the server's own requests (sampling, elicitation, roots) inside a call, with a log
# message on the way. The SDK 1.x client against an SDK 1.x server.

LEGACY_FEATURES_SERVER = str(HERE / "peers/legacy_features_server.py")

LEGACY_FEATURES_CLIENT = textwrap.dedent(r"""
    import json, sys
    import anyio
    from mcp import ClientSession, StdioServerParameters, types
    from mcp.client.stdio import stdio_client
    from mcp.client.streamable_http import streamablehttp_client

    async def sampling(context, params):
        return types.CreateMessageResult(role="assistant", content=types.TextContent(type="text", text="hi"), model="test")

    async def elicitation(context, params):
        return types.ElicitResult(action="accept", content={"name": "Ada"})

    async def roots(context):
        return types.ListRootsResult(roots=[types.Root(uri="file:///work")])

    logs = []
    async def logging(params):
        logs.append(params.data)

    async def main(target):
        connect = streamablehttp_client(target) if isinstance(target, str) else stdio_client(StdioServerParameters(command=target[0], args=target[1:]))
        with anyio.fail_after(60):
            async with connect as streams, ClientSession(streams[0], streams[1], sampling_callback=sampling,
                                                         elicitation_callback=elicitation, list_roots_callback=roots,
                                                         logging_callback=logging) as s:
                init = await s.initialize()
                await s.send_ping()
                await s.set_logging_level("info")
                result = await s.call_tool("ask_everything", {})
                print(json.dumps({"version": init.protocolVersion, "text": result.content[0].text, "logs": logs}))

    anyio.run(main, json.loads(sys.argv[1]))
""")


def run_legacy_features(peers, target):
    out = subprocess.run([peers["sdk1_python"], "-c", LEGACY_FEATURES_CLIENT, json.dumps(target)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


EXPECTED_LEGACY_FEATURES = {"version": "2025-11-25", "text": "hi / Ada / file:///work", "logs": ["asking the client"]}
LEGACY_METHODS = ("initialize", "ping", "logging/setLevel", "tools/call", "sampling/createMessage", "elicitation/create", "roots/list")


@pytest.mark.parametrize("bridge_mode", [[], ["--shared-server"]], ids=["per-session", "shared"])
def test_bridge_keeps_the_deprecated_features_for_older_peers(bridge, peers, bridge_mode):
    command = [peers["sdk1_python"], LEGACY_FEATURES_SERVER]
    assert run_legacy_features(peers, command) == EXPECTED_LEGACY_FEATURES
    b = bridge(command, *bridge_mode)
    assert run_legacy_features(peers, b.url) == EXPECTED_LEGACY_FEATURES
    targets = {t["method"]: t for t in b.api("/api/report")["targets"]}
    for method in LEGACY_METHODS:
        assert targets[method]["outcomes"]["ok"] == 1, method


def test_stdio_front_keeps_the_deprecated_features_for_older_peers(mcpwatch, peers, tmp_path):
    port = free_port()
    server = HTTPServer([peers["sdk1_python"], LEGACY_FEATURES_SERVER, "--port", str(port)], port)
    try:
        assert run_legacy_features(peers, server.url) == EXPECTED_LEGACY_FEATURES
        report_file = tmp_path / "report.json"
        front = [mcpwatch, "proxy", "--upstream", server.url, "--no-http", "--report-file", str(report_file)]
        assert run_legacy_features(peers, front) == EXPECTED_LEGACY_FEATURES
        targets = {t["method"]: t for t in read_report(report_file)["targets"]}
        for method in LEGACY_METHODS:
            assert targets[method]["outcomes"]["ok"] == 1, method
    finally:
        stop(server.proc)


# A call that needs the user's input: over 2026-07-28 the server answers `input_required` and the client retries
# with the SDK's elicitation callback's answer; over the older era the server sends `elicitation/create` mid-call.
# Either way the client gets the same result through every mode as directly.

ASKING_CLIENT = textwrap.dedent(r"""
    import anyio, json, sys
    import mcp_types as types
    from mcp import Client, StdioServerParameters
    mode, target = sys.argv[1], json.loads(sys.argv[2])

    async def elicit(context, params):
        return types.ElicitResult(action="accept", content={"name": "Ada"})

    async def main():
        server = target if isinstance(target, str) else StdioServerParameters(command=target[0], args=target[1:])
        with anyio.fail_after(60):
            async with Client(server, mode=mode, elicitation_callback=elicit) as client:
                result = await client.call_tool("ask_name", {})
                print(json.dumps({"version": client.protocol_version, "text": result.content[0].text}))

    anyio.run(main)
""")


def run_asking(peers, mode, target):
    out = subprocess.run([peers["sdk2_python"], "-c", ASKING_CLIENT, mode, json.dumps(target)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_a_call_that_asks_for_input_through_the_relay_and_the_bridge(mcpwatch, peers, bridge, mode):
    command = [peers["sdk2_python"], MODERN_SERVER]
    direct = run_asking(peers, mode, command)
    assert direct == {"version": "2026-07-28" if mode == "auto" else "2025-11-25", "text": "hello Ada"}
    assert run_asking(peers, mode, [mcpwatch, "proxy", "--no-http", "--", *command]) == direct
    for bridge_mode in ([], ["--shared-server"]):
        assert run_asking(peers, mode, bridge(command, *bridge_mode).url) == direct, bridge_mode


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_a_call_that_asks_for_input_through_the_front_and_the_reverse_proxy(mcpwatch, peers, mode):
    port, serve_port, listen_port = free_port(), free_port(), free_port()
    server = HTTPServer([peers["sdk2_python"], MODERN_SERVER, "--transport", "streamable-http", "--port", str(port)], port)
    proxy = subprocess.Popen([mcpwatch, "proxy", "--upstream", server.url, "--serve-http", f"127.0.0.1:{serve_port}",
                              "--listen", f"127.0.0.1:{listen_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: port_open(serve_port), 30, what="the reverse proxy")
        direct = run_asking(peers, mode, server.url)
        assert direct == {"version": "2026-07-28" if mode == "auto" else "2025-11-25", "text": "hello Ada"}
        assert run_asking(peers, mode, [mcpwatch, "proxy", "--upstream", server.url, "--no-http"]) == direct
        assert run_asking(peers, mode, f"http://127.0.0.1:{serve_port}/mcp") == direct
    finally:
        stop(proxy, server.proc)


def test_reverse_proxy_in_front_of_the_bridge_keeps_mcp_server_time_modern(mcpwatch, peers, bridge):
    # mcp-server-time over Streamable HTTP (served by the bridge), through the reverse proxy.
    b = bridge([peers["time_server"]])
    serve_port, listen_port = free_port(), free_port()
    proxy = subprocess.Popen([mcpwatch, "proxy", "--upstream", b.url, "--serve-http", f"127.0.0.1:{serve_port}",
                              "--listen", f"127.0.0.1:{listen_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for port in (serve_port, listen_port):
            wait_for(lambda: port_open(port), 30, what=f"port {port}")
        for mode in MODES:
            direct = run_client(peers["sdk2_python"], mode, [peers["time_server"]], TIME_CALL)
            proxied = run_client(peers["sdk2_python"], mode, f"http://127.0.0.1:{serve_port}/mcp", TIME_CALL)
            assert proxied == direct, mode
            assert direct["version"] == ("2025-11-25" if mode == "legacy" else "2026-07-28")
            assert_named(json.loads(get(f"http://127.0.0.1:{listen_port}/api/report"))["session"], direct, "mcp-time")
    finally:
        stop(proxy)

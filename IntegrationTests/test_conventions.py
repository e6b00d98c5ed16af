"""`/metrics` against the OpenTelemetry MCP conventions (issue 20 item 2): metric names, units, instruments,
attributes and their requirement levels, compared with the copy in mcp_conventions.py (which says where it came
from). A real mcpwatch relays a real SDK 2.x server over stdio (a tool, a failing tool, a prompt, resources, an
unknown method) and the SDK 1.x client over Streamable HTTP (a transport session that ends), and the test reads
what Prometheus would scrape.
"""
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

from conftest import free_port, stop, wait_for
from mcp_conventions import BUCKETS, METRICS, SOURCE, prometheus_label, prometheus_name
from test_http_api import http_get
from test_http_proxy import port_open, run_client

ROOT = pathlib.Path(__file__).parent.parent
PEER = str(ROOT / "IntegrationTests/peers/conventions_server.py")
METRICS_DOC = ROOT / "docs/metrics.md"

# The metrics mcpwatch writes to /metrics, of the conventions' four. `mcp.client.session.duration` is the same
# session seen from the client; a proxy in the middle writes it once, as the server's.
EXPOSED = ["mcp.server.operation.duration", "mcp.client.operation.duration", "mcp.server.session.duration"]

# Labels mcpwatch adds that are not convention attributes (docs/metrics.md says why).
EXTRA_LABELS = {"server", "le"}

# Recommended attributes mcpwatch does not write, each with the reason docs/metrics.md gives.
NOT_WRITTEN = {
    "jsonrpc.protocol.version": "recommended only when it is not 2.0, and MCP is JSON-RPC 2.0",
    "network.protocol.version": "the HTTP version differs per connection, not per call",
    "server.address": "client metrics only, for a client's view of its server; mcpwatch is between the two",
    "server.port": "as server.address",
}

MESSAGES = [
    {"jsonrpc": "2.0", "id": 0, "method": "initialize",
     "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "conventions-test", "version": "1"}}},
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "echo", "arguments": {"text": "a"}}},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "fail", "arguments": {}}},
    {"jsonrpc": "2.0", "id": 3, "method": "prompts/get", "params": {"name": "greet", "arguments": {"name": "x"}}},
    {"jsonrpc": "2.0", "id": 4, "method": "resources/read", "params": {"uri": "note://1"}},
    {"jsonrpc": "2.0", "id": 5, "method": "resources/read", "params": {"uri": "note://2"}},
    {"jsonrpc": "2.0", "id": 6, "method": "no/such/method"},
]


def parse(text: str):
    """Prometheus text format samples: (name, labels, value), and the `# TYPE` of each family."""
    samples, types = [], {}
    label = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
            continue
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)", line)
        assert m, line
        samples.append((m.group(1), dict(label.findall(m.group(2) or "")), float(m.group(3))))
    return samples, types


def series(samples, metric):
    """The label sets of a histogram's `_count` samples, with their counts."""
    return [(labels, value) for name, labels, value in samples if name == metric + "_count"]


class StdioProxy:
    """mcpwatch proxy in front of conventions_server.py, driven with MESSAGES line by line."""

    def __init__(self, mcpwatch, python, env=None):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [mcpwatch, "proxy", "--listen", f"127.0.0.1:{self.port}", "--no-store", "--log-level", "warning", "--", python, PEER],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=dict(os.environ, **(env or {})))
        for message in MESSAGES:
            self.proc.stdin.write(json.dumps(message).encode() + b"\n")
            self.proc.stdin.flush()
            if "id" in message:
                assert json.loads(self.proc.stdout.readline())["id"] == message["id"]
        wait_for(lambda: port_open(self.port), 30, what="the monitoring port")

    def metrics(self):
        status, body = http_get(f"http://127.0.0.1:{self.port}/metrics")
        assert status == 200
        return parse(body.decode())

    def stop(self):
        self.proc.stdin.close()
        stop(self.proc)


@pytest.fixture(scope="module")
def stdio(mcpwatch, peers):
    """Two proxies: the defaults, and the conventions' buckets with resource URIs opted in."""
    default = StdioProxy(mcpwatch, peers["sdk2_python"])
    opted = StdioProxy(mcpwatch, peers["sdk2_python"], env={"MCPWATCH_HTTP_METRICS_BUCKETS": "conventions",
                                                           "MCPWATCH_HTTP_METRICS_RESOURCE_URI": "true"})
    yield default, opted
    default.stop()
    opted.stop()


@pytest.fixture(scope="module")
def http(mcpwatch, peers):
    """A reverse proxy in front of the echo peer over Streamable HTTP, after an SDK 1.x client's session ended."""
    upstream_port, serve_port, listen_port = free_port(), free_port(), free_port()
    upstream = subprocess.Popen([sys.executable, peers["echo_server"], "--transport", "streamable-http", "--port", str(upstream_port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proxy = subprocess.Popen([mcpwatch, "proxy", "--upstream", f"http://127.0.0.1:{upstream_port}/mcp", "--serve-http",
                              f"127.0.0.1:{serve_port}", "--listen", f"127.0.0.1:{listen_port}", "--no-store"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for port in (upstream_port, serve_port, listen_port):
            wait_for(lambda: port_open(port), 30, what=f"port {port}")
        run_client(peers["sdk1_python"], f"http://127.0.0.1:{serve_port}/mcp", [["echo", {"text": "a"}], ["fail", {}]])

        def scrape():
            status, body = http_get(f"http://127.0.0.1:{listen_port}/metrics")
            return parse(body.decode()) if status == 200 else ([], {})

        # The client's DELETE ends the session after run_client returns: awaited, not assumed.
        wait_for(lambda: series(scrape()[0], "mcp_server_session_duration_seconds"), 30, what="an ended session in /metrics")
        yield scrape()
    finally:
        stop(proxy, upstream)


def convention_labels(metric):
    return {prometheus_label(a) for a in METRICS[metric][2]}


def test_the_copy_of_the_conventions_says_where_it_came_from():
    assert SOURCE["repository"] == "open-telemetry/semantic-conventions-genai"
    assert all(re.fullmatch(r"[0-9a-f]{40}", c) for c in SOURCE["files"].values())
    assert set(EXPOSED) <= set(METRICS)
    # Every attribute of every metric is at one of the four levels, and mcp.method.name is required.
    for name, (_, unit, attributes) in METRICS.items():
        assert unit == "s" and set(attributes.values()) <= {"required", "conditionally_required", "recommended", "opt_in"}
    assert METRICS["mcp.server.operation.duration"][2]["mcp.method.name"] == "required"


def test_operation_duration_names_and_labels_follow_the_conventions(stdio):
    default, _ = stdio
    samples, types = default.metrics()
    metric = "mcp.server.operation.duration"
    name = prometheus_name(metric)
    assert types[name] == METRICS[metric][0]
    found = series(samples, name)
    assert found
    allowed = convention_labels(metric) | EXTRA_LABELS
    for labels, _ in found:
        assert set(labels) <= allowed, sorted(set(labels) - allowed)
        # Required on every series; recommended ones that apply over a pipe.
        assert labels["mcp_method_name"]
        assert labels["network_transport"] == "pipe" and "network_protocol_name" not in labels
        assert labels["mcp_protocol_version"] == "2025-11-25"
        # gen_ai.operation.name: execute_tool for a tool call and not set otherwise.
        assert (labels.get("gen_ai_operation_name") == "execute_tool") == (labels["mcp_method_name"] == "tools/call"), labels
        if labels["mcp_method_name"] == "tools/call":
            assert labels["gen_ai_tool_name"] in ("echo", "fail")
        if labels["mcp_method_name"] == "prompts/get":
            assert labels["gen_ai_prompt_name"] == "greet"
        # mcp.resource.uri is opt-in: the resource reads count under their method alone.
        assert "mcp_resource_uri" not in labels

    by_key = {(l["mcp_method_name"], l.get("gen_ai_tool_name"), l.get("error_type")): (l, v) for l, v in found}
    # error.type if and only if the operation failed; rpc.response.status_code when the answer had a code.
    assert by_key[("tools/call", "echo", None)][1] == 1
    fail, count = by_key[("tools/call", "fail", "tool_error")]
    assert count == 1 and "rpc_response_status_code" not in fail
    unknown, count = by_key[("no/such/method", None, "-32601")]
    assert count == 1 and unknown["rpc_response_status_code"] == "-32601"
    assert ("tools/call", "fail", None) not in by_key or by_key[("tools/call", "fail", None)][1] == 0
    assert by_key[("resources/read", None, None)][1] == 2
    assert by_key[("prompts/get", None, None)][1] == 1

    # Every recommended attribute is written, or is one that docs/metrics.md says mcpwatch does not write.
    written = {k for labels, _ in found for k in labels}
    doc = METRICS_DOC.read_text()
    for attribute, level in METRICS[metric][2].items():
        if level == "recommended" and prometheus_label(attribute) not in written and attribute != "network.protocol.name":
            assert attribute in NOT_WRITTEN, f"{attribute} is recommended and not written"
    for attribute in NOT_WRITTEN:
        assert f"`{attribute}`" in doc, f"docs/metrics.md does not say why {attribute} is not written"

    # The default buckets are finer, and hold every bound the conventions advise.
    bounds = {labels["le"] for n, labels, _ in samples if n == name + "_bucket"}
    assert {repr(float(b)) for b in bounds if b != "+Inf"} >= {repr(float(b)) for b in BUCKETS}
    assert len(bounds) > len(BUCKETS) + 1


def test_the_conventions_buckets_and_resource_uris_are_on_offer(stdio):
    _, opted = stdio
    samples, _ = opted.metrics()
    name = prometheus_name("mcp.server.operation.duration")
    for labels, _ in series(samples, name):
        bounds = [float(l["le"]) for n, l, _ in samples if n == name + "_bucket" and
                  all(l.get(k) == v for k, v in labels.items())]
        assert bounds == [float(b) for b in BUCKETS] + [float("inf")], labels
    reads = {l["mcp_resource_uri"]: v for l, v in series(samples, name) if l["mcp_method_name"] == "resources/read"}
    assert reads == {"note://1": 1, "note://2": 1}
    # The same for mcpwatch's own families: one series per URI there too.
    calls = {l["mcp_resource_uri"] for n, l, _ in samples if n == "mcpwatch_calls_total" and l["mcp_method_name"] == "resources/read"}
    assert calls == {"note://1", "note://2"}


def test_over_http_the_session_duration_and_transport_follow_the_conventions(http):
    samples, types = http
    name = prometheus_name("mcp.server.session.duration")
    assert types[name] == "histogram"
    [(labels, count)] = series(samples, name)
    assert count == 1
    allowed = convention_labels("mcp.server.session.duration") | EXTRA_LABELS
    assert set(labels) <= allowed, sorted(set(labels) - allowed)
    assert labels["network_transport"] == "tcp" and labels["network_protocol_name"] == "http"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", labels["mcp_protocol_version"])
    assert "error_type" not in labels  # the client ended it with DELETE
    operations = series(samples, prometheus_name("mcp.server.operation.duration"))
    assert operations and all(l["network_transport"] == "tcp" and l["network_protocol_name"] == "http" for l, _ in operations)
    assert all(l["mcp_protocol_version"] == labels["mcp_protocol_version"] for l, _ in operations)

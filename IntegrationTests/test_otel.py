"""OTLP export (issue 20): what mcpwatch sends, decoded with the official opentelemetry-proto classes by a receiver
here; the Python SDK 2.3 client (OpenTelemetry's SDK set up, so it injects `traceparent` into `_meta`) through
mcpwatch to the SDK's server (its OpenTelemetry middleware, exporting to the same receiver): one trace holds the
client's span, mcpwatch's and the server's; with `otel.propagate` the server's span is the child of mcpwatch's,
without it a sibling under the client's. A receiver that is down: the relay goes on, drops counted."""
import http.server
import os
import pathlib
import sys
import threading
import urllib.request

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from opentelemetry import trace
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from conftest import free_port, wait_for

HERE = pathlib.Path(__file__).parent


class Receiver:
    """An OTLP/HTTP receiver: every span and metric name it was sent, decoded with opentelemetry-proto."""

    def __init__(self):
        self.spans = []  # (service.name, span)
        self.metric_names = set()
        self.metrics = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path == "/v1/traces":
                    request = ExportTraceServiceRequest()
                    request.ParseFromString(body)
                    with receiver.lock:
                        for resource_spans in request.resource_spans:
                            service = next((a.value.string_value for a in resource_spans.resource.attributes
                                            if a.key == "service.name"), None)
                            for scope in resource_spans.scope_spans:
                                receiver.spans.extend((service, span) for span in scope.spans)
                    reply = ExportTraceServiceResponse().SerializeToString()
                elif self.path == "/v1/metrics":
                    request = ExportMetricsServiceRequest()
                    request.ParseFromString(body)
                    with receiver.lock:
                        for resource_metrics in request.resource_metrics:
                            for scope in resource_metrics.scope_metrics:
                                receiver.metric_names.update(m.name for m in scope.metrics)
                                receiver.metrics.extend(scope.metrics)
                    reply = b""
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def spans_of(self, service):
        with self.lock:
            return [span for s, span in self.spans if s == service]


def attributes(span) -> dict:
    out = {}
    for a in span.attributes:
        v = a.value
        out[a.key] = v.string_value if v.HasField("string_value") else v.int_value if v.HasField("int_value") else v.bool_value
    return out


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture(scope="module")
def client_spans():
    """OpenTelemetry's SDK in this process, so that the SDK's client injects `traceparent`; its spans kept in memory."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "otel-test-client"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


def otel_env(receiver_endpoint, **extra):
    env = dict(os.environ)
    env.update({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver_endpoint,
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_BSP_SCHEDULE_DELAY": "100",
                "OTEL_SERVICE_NAME": "mcpwatch-under-test"})
    env.update(extra)
    return env


async def call_echo(command, args, env, text):
    params = StdioServerParameters(command=command, args=args, env=env)
    with anyio.fail_after(60):
        async with stdio_client(params) as (r, w), ClientSession(r, w) as s:
            await s.initialize()
            result = await s.call_tool("echo", {"text": text})
            assert result.content[0].text == text


def one_trace(receiver, client_spans, mcpwatch, propagate: bool, text: str):
    env = otel_env(receiver.endpoint, MCPWATCH_OTEL_PROPAGATE="true" if propagate else "false")
    server = [sys.executable, str(HERE / "otel_server.py")]
    anyio.run(call_echo, mcpwatch, ["proxy", "--no-http", "--no-store", "--", *server], env, text)
    client = next(s for s in client_spans.get_finished_spans()
                  if s.name == "MCP send tools/call echo" and s.attributes.get("jsonrpc.request.id") is not None
                  and s.end_time and s not in getattr(client_spans, "_seen", []))
    client_spans._seen = getattr(client_spans, "_seen", []) + [client]
    trace_id = client.context.trace_id.to_bytes(16, "big")

    def ours():
        return [s for s in receiver.spans_of("mcpwatch-under-test") if s.trace_id == trace_id and s.name == "tools/call echo"]

    def theirs():
        return [s for s in receiver.spans_of("otel-test-server") if s.trace_id == trace_id and "tools/call" in s.name]

    wait_for(lambda: ours() and theirs(), timeout=30, what="mcpwatch's and the server's spans of the call")
    return client, ours()[0], theirs()[0]


def test_without_propagation_the_servers_span_is_a_sibling(receiver, client_spans, mcpwatch):
    client, ours, theirs = one_trace(receiver, client_spans, mcpwatch, propagate=False, text="sibling")
    client_id = client.context.span_id.to_bytes(8, "big")
    assert ours.parent_span_id == client_id
    assert theirs.parent_span_id == client_id
    a = attributes(ours)
    assert a["mcp.method.name"] == "tools/call"
    assert a["gen_ai.tool.name"] == "echo"
    assert a["gen_ai.operation.name"] == "execute_tool"
    assert a["network.transport"] == "pipe"
    assert a["jsonrpc.request.id"] == client.attributes["jsonrpc.request.id"]
    assert "error.type" not in a
    assert ours.start_time_unix_nano <= ours.end_time_unix_nano
    assert ours.kind == ours.SPAN_KIND_SERVER


def test_with_propagation_the_servers_span_is_mcpwatchs_child(receiver, client_spans, mcpwatch):
    client, ours, theirs = one_trace(receiver, client_spans, mcpwatch, propagate=True, text="child")
    assert ours.parent_span_id == client.context.span_id.to_bytes(8, "big")
    assert theirs.parent_span_id == ours.span_id


def test_a_receiver_that_is_down_never_stops_the_relay(mcpwatch, peers):
    closed = free_port()
    port = free_port()
    env = otel_env(f"http://127.0.0.1:{closed}", MCPWATCH_OTEL_QUEUE_SIZE="4", OTEL_BSP_SCHEDULE_DELAY="50")
    # A server without tracing of its own: only mcpwatch's export meets the closed port.
    server = [peers["time_server"]]

    async def many():
        params = StdioServerParameters(command=mcpwatch, env=env,
                                       args=["proxy", "--no-store", "--listen", f"127.0.0.1:{port}", "--", *server])
        with anyio.fail_after(120):
            async with stdio_client(params) as (r, w), ClientSession(r, w) as s:
                await s.initialize()
                for _ in range(200):
                    result = await s.call_tool("get_current_time", {"timezone": "UTC"})
                    assert not result.is_error

                def dropped():
                    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
                    line = next((l for l in text.splitlines() if l.startswith("mcpwatch_otel_spans_dropped_total")), None)
                    return line is not None and float(line.rsplit(" ", 1)[1]) > 0
                await anyio.to_thread.run_sync(lambda: wait_for(dropped, timeout=30, what="dropped spans counted"))
    anyio.run(many)


# A server that logs every byte it receives and answers each request with an empty result of the same id.
LOGGING_SERVER = r'''
import json, sys
log = open(sys.argv[1], "wb")
for line in sys.stdin.buffer:
    log.write(line); log.flush()
    message = json.loads(line)
    if "id" in message and "method" in message:
        sys.stdout.buffer.write(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": {"content": []}}).encode() + b"\n")
        sys.stdout.buffer.flush()
'''

PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
VALID = (b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t\\u00e9st","_meta":{"progressToken":7, '
         b'"traceparent" : "' + PARENT.encode() + b'","tracestate":"congo=t61rcWkgMzE"},"arguments":{"a":[1,{"b":null}]}}}\n')
MALFORMED = b'{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"odd","_meta":{"traceparent":"00-nothex-01"}}}\n'
NO_META = b'  {"method":"tools/call","id":"s-3","params":{"name":"plain"},"jsonrpc":"2.0"}   \n'


def raw_run(mcpwatch, raw_session, tmp_path, receiver, propagate):
    server = tmp_path / "server.py"
    server.write_text(LOGGING_SERVER)
    received = tmp_path / "received.bin"
    port = free_port()
    s = raw_session([mcpwatch, "proxy", "--no-store", "--listen", f"127.0.0.1:{port}", "--",
                     sys.executable, str(server), str(received)],
                    env=otel_env(receiver.endpoint, OTEL_SERVICE_NAME=f"raw-{propagate}",
                                 MCPWATCH_OTEL_PROPAGATE="true" if propagate else "false"))
    for line in (VALID, MALFORMED, NO_META):
        s.send(line)
        s.read_line()
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    s.close_input()
    assert s.wait() == 0
    return received.read_bytes().splitlines(keepends=True), metrics


def spans_named(receiver, service, name):
    wait_for(lambda: any(s.name == name for s in receiver.spans_of(service)), timeout=30, what=f"the span {name}")
    return next(s for s in receiver.spans_of(service) if s.name == name)


def test_without_propagation_every_byte_crosses_unchanged(mcpwatch, raw_session, tmp_path, receiver):
    lines, metrics = raw_run(mcpwatch, raw_session, tmp_path, receiver, propagate=False)
    assert lines == [VALID, MALFORMED, NO_META]
    # The malformed traceparent is an anomaly, and its call a new root.
    assert any(l.startswith("mcpwatch_anomalies_total") and 'kind="malformed_traceparent"' in l and l.endswith(" 1")
               for l in metrics.splitlines())
    assert any(l.startswith("mcpwatch_otel_malformed_traceparent_total") and l.endswith(" 1") for l in metrics.splitlines())
    valid = spans_named(receiver, "raw-False", "tools/call t\u00e9st")
    assert valid.trace_id.hex() == PARENT[3:35] and valid.parent_span_id.hex() == PARENT[36:52]
    odd = spans_named(receiver, "raw-False", "tools/call odd")
    assert odd.parent_span_id == b"" and odd.trace_id.hex() != PARENT[3:35]
    plain = spans_named(receiver, "raw-False", "tools/call plain")
    assert attributes(plain)["jsonrpc.request.id"] == "s-3"


def test_propagation_changes_only_the_traceparent(mcpwatch, raw_session, tmp_path, receiver):
    lines, _ = raw_run(mcpwatch, raw_session, tmp_path, receiver, propagate=True)
    valid = spans_named(receiver, "raw-True", "tools/call t\u00e9st")
    ours = f"00-{valid.trace_id.hex()}-{valid.span_id.hex()}-01"
    # The client's trace goes on, mcpwatch's span is the new parent, and nothing else moved.
    assert valid.trace_id.hex() == PARENT[3:35] and valid.parent_span_id.hex() == PARENT[36:52]
    assert lines[0] == VALID.replace(PARENT.encode(), ours.encode())
    plain = spans_named(receiver, "raw-True", "tools/call plain")
    inserted = f'"_meta":{{"traceparent":"00-{plain.trace_id.hex()}-{plain.span_id.hex()}-01"}},'.encode()
    assert lines[2] == NO_META.replace(b'"params":{', b'"params":{' + inserted)


def test_metrics_by_the_conventions(mcpwatch, receiver):
    env = otel_env(receiver.endpoint, OTEL_TRACES_EXPORTER="none", OTEL_METRICS_EXPORTER="otlp",
                   OTEL_METRIC_EXPORT_INTERVAL="200", MCPWATCH_SAMPLING_INTERVAL="200ms")
    server = [sys.executable, str(HERE / "otel_server.py")]

    async def calls():
        params = StdioServerParameters(command=mcpwatch, args=["proxy", "--no-http", "--no-store", "--", *server], env=env)
        with anyio.fail_after(60):
            async with stdio_client(params) as (r, w), ClientSession(r, w) as s:
                await s.initialize()
                await s.call_tool("echo", {"text": "m"})
                wanted = {"mcp.server.operation.duration", "process.memory.usage", "process.cpu.time",
                          "system.cpu.utilization", "system.memory.usage"}
                await anyio.to_thread.run_sync(lambda: wait_for(lambda: wanted <= receiver.metric_names, timeout=30,
                                                                what=f"the metrics {wanted - receiver.metric_names}"))
    anyio.run(calls)
    with receiver.lock:
        durations = [m for m in receiver.metrics if m.name == "mcp.server.operation.duration"]
    assert durations[0].unit == "s"
    points = [p for m in durations for p in m.histogram.data_points]
    echo = [p for p in points if attributes(p).get("gen_ai.tool.name") == "echo"]
    assert echo, [attributes(p) for p in points]
    a = attributes(echo[-1])
    assert a["mcp.method.name"] == "tools/call" and a["network.transport"] == "pipe" and "error.type" not in a
    assert list(echo[-1].explicit_bounds) == [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]
    assert echo[-1].count >= 1

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

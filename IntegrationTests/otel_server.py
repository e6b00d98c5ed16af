"""An MCP server (official Python SDK 2.x, MCPServer) with OpenTelemetry's SDK set up, for test_otel.py: the SDK's own
OpenTelemetry middleware (on by default) records a span per request, its parent taken from `params._meta.traceparent`,
and this process sends the spans over OTLP/HTTP to the endpoint in OTEL_EXPORTER_OTLP_ENDPOINT. Serves stdio."""
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from mcp.server.mcpserver import MCPServer

provider = TracerProvider(resource=Resource.create({"service.name": "otel-test-server"}))
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)

server = MCPServer("otel-test-server")


@server.tool()
def echo(text: str) -> str:
    """Says it back."""
    return text


if __name__ == "__main__":
    server.run(transport="stdio")

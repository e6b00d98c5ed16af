"""The OpenTelemetry MCP semantic conventions' metrics, copied by hand for test_conventions.py.

Where it came from (the repository `open-telemetry/semantic-conventions-genai`, as stored on 2026-12-03):
- docs/gen-ai/mcp.md at commit 0393513c908bf895e7b3ec480a2c1eb073c584af: the metric tables (attributes and
  requirement levels as generated from the model) and the advised bucket boundaries;
- model/mcp/metrics.yaml at commit 14567fad6858f82588325657c4bb262fafc885bd and model/mcp/common.yaml at commit
  0e5e6a8d59d38c9c19556a5164a83cc11a7d53ff: the same attributes in the model (`mcp.resource.uri` opt-in on the
  operation metrics, `rpc.response.status_code` conditionally required "if response contains an error code").

Status of all four metrics there: Development. Requirement levels: "required", "conditionally_required",
"recommended", "opt_in". When the conventions change, update this copy (and docs/metrics.md) from the same files.
"""

SOURCE = {
    "repository": "open-telemetry/semantic-conventions-genai",
    "files": {
        "docs/gen-ai/mcp.md": "0393513c908bf895e7b3ec480a2c1eb073c584af",
        "model/mcp/metrics.yaml": "14567fad6858f82588325657c4bb262fafc885bd",
        "model/mcp/common.yaml": "0e5e6a8d59d38c9c19556a5164a83cc11a7d53ff",
    },
}

# ExplicitBucketBoundaries advised for every MCP metric (docs/gen-ai/mcp.md, each metric's section).
BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]

_OPERATION = {
    "mcp.method.name": "required",
    "error.type": "conditionally_required",  # if and only if the operation fails
    "gen_ai.prompt.name": "conditionally_required",  # when the operation is related to a specific prompt
    "gen_ai.tool.name": "conditionally_required",  # when the operation is related to a specific tool
    "rpc.response.status_code": "conditionally_required",  # if the response contains an error code
    "gen_ai.operation.name": "recommended",  # `execute_tool` for a tool call, not set otherwise
    "jsonrpc.protocol.version": "recommended",  # when it is not 2.0
    "mcp.protocol.version": "recommended",
    "network.protocol.name": "recommended",  # when applicable (http, websocket)
    "network.protocol.version": "recommended",  # when applicable
    "network.transport": "recommended",  # pipe for stdio, tcp (or quic) for HTTP
    "mcp.resource.uri": "opt_in",
}

_SESSION = {
    "error.type": "conditionally_required",  # if and only if the session ends with an error
    "jsonrpc.protocol.version": "recommended",  # when it is not 2.0
    "mcp.protocol.version": "recommended",
    "network.protocol.name": "recommended",  # when applicable
    "network.protocol.version": "recommended",  # when applicable
    "network.transport": "recommended",
}

_CLIENT_ADDRESS = {
    "server.address": "recommended",  # if applicable
    "server.port": "recommended",  # when server.address is set
}

# name -> (instrument, unit, {attribute: requirement level})
METRICS = {
    "mcp.client.operation.duration": ("histogram", "s", _OPERATION | _CLIENT_ADDRESS),
    "mcp.server.operation.duration": ("histogram", "s", dict(_OPERATION)),
    "mcp.client.session.duration": ("histogram", "s", _SESSION | _CLIENT_ADDRESS),
    "mcp.server.session.duration": ("histogram", "s", dict(_SESSION)),
}


def prometheus_name(metric: str) -> str:
    """The name Prometheus (and OpenTelemetry's Prometheus exporter) gives a metric in seconds."""
    return metric.replace(".", "_") + "_seconds"


def prometheus_label(attribute: str) -> str:
    return attribute.replace(".", "_")

#!/usr/bin/env python3
"""Writes the OpenAPI 3.1 document of the monitoring API: docs/openapi.json and its embedded copy.

The document is embedded in the binary (not a package resource) so that a copied `mcpwatch` still serves it.
Run after changing the API: python3 scripts/openapi.py
"""
import json
def num(nullable=False, desc=None):
    t = {"type": ["number","null"] if nullable else "number"}
    if desc: t["description"]=desc
    return t
def integer(desc=None, minimum=0):
    t={"type":"integer"}
    if minimum is not None: t["minimum"]=minimum
    if desc: t["description"]=desc
    return t
def string(desc=None, fmt=None, nullable=False):
    t={"type":["string","null"] if nullable else "string"}
    if fmt: t["format"]=fmt
    if desc: t["description"]=desc
    return t
def ref(n): return {"$ref": f"#/components/schemas/{n}"}
def obj(props, required, desc=None, additional=False):
    o={"type":"object","properties":props,"required":required}
    if not additional: o["additionalProperties"]=False
    if desc: o["description"]=desc
    return o
counts={"type":"object","additionalProperties":{"type":"integer","minimum":0}}
direction={"type":"string","enum":["client_to_server","server_to_client"]}
anomaly_kinds=["invalid_json","invalid_utf8","not_object_or_batch","invalid_message","unknown_response_id","duplicate_request_id","oversized_message","empty_batch"]
lat={k:num(True) for k in ["avg_ms","min_ms","max_ms","p50_ms","p90_ms","p95_ms","p99_ms","p999_ms"]}
schemas={
 "Error": obj({"error": obj({"status":integer(),"message":string()},["status","message"])},["error"],"Every failure: the HTTP status and what to do about it."),
 "PeerInfo": obj({"name":string(),"version":string(),"title":string()},["name"]),
 "Session": obj({"client":ref("PeerInfo"),"server":ref("PeerInfo"),"protocol_version":string(),"requested_protocol_version":string(),"server_pid":integer(minimum=None),"server_alive":{"type":"boolean"},"server_exit":string(),"session_count":integer(desc="Streamable HTTP sessions open now; absent over stdio"),"sessions":{"type":"array","description":"the last Streamable HTTP sessions, most recently seen first; absent over stdio","items":ref("SessionSummary")}},[],"Who talks to whom: what initialize told, and the server process."),
 "Throughput": obj({"last_minute":num(),"last5_minutes":num(),"last15_minutes":num()},["last_minute","last5_minutes","last15_minutes"],"Calls per second over three windows."),
 "Latency": obj(lat,[],"Milliseconds; absent when nothing was measured."),
 "Traffic": obj({k:integer() for k in ["client_to_server_messages","client_to_server_bytes","server_to_client_messages","server_to_client_bytes"]},["client_to_server_messages","client_to_server_bytes","server_to_client_messages","server_to_client_bytes"]),
 "Overview": obj({"start_time":string(fmt="date-time"),"uptime_seconds":num(),"total_calls":integer(),"total_errors":integer(),"success_rate":num(desc="percent of calls that ended ok; absent without calls"),"in_flight":integer(),"outcomes":counts,"throughput":ref("Throughput"),"error_rate_last_minute":num(desc="percent"),"latency":ref("Latency"),"traffic":ref("Traffic")},["start_time","uptime_seconds","total_calls","total_errors","in_flight","outcomes","throughput","latency","traffic"]),
 "LastError": obj({"message":string(),"type":string(),"at":string(fmt="date-time")},["message","type","at"]),
 "Recent": obj({"calls":integer(),"success_rate":num(),"avg_ms":num()},["calls"],"The last 100 calls."),
 "Sizes": obj({"total":integer(),"avg":num(),"max":integer()},["total","max"],"Message sizes in bytes."),
 "Target": obj(dict({"name":string(desc="tool or prompt name, resource URI, or the method for calls without a target"),"method":string(),"target":string(),"direction":direction,"calls":integer(),"errors":integer(),"success_rate":num(),"last_used":string(fmt="date-time"),"in_flight":integer(),"outcomes":counts,"error_types":counts,"last_error":ref("LastError"),"recent":ref("Recent"),"calls_per_second":num(),"request_bytes":ref("Sizes"),"response_bytes":ref("Sizes"),"dashboard_calls":integer()},**lat),["name","method","direction","calls","errors","in_flight","outcomes","error_types","recent","calls_per_second","request_bytes","response_bytes","dashboard_calls"],"Statistics of one (method, target)."),
 "Notification": obj({"method":string(),"direction":direction,"count":integer()},["method","direction","count"]),
 "AnomalySample": obj({"kind":{"type":"string","enum":anomaly_kinds},"direction":direction,"at":string(fmt="date-time"),"sample":string()},["kind","direction","at"]),
 "Anomalies": obj({"total":integer(),"by_kind":counts,"last":ref("AnomalySample")},["total","by_kind"]),
 "System": {"type":"object","description":"Process and host figures (see docs/api.md); present once sampling has run.","additionalProperties":True},
 "Report": obj({"schema_version":{"type":"integer","const":1},"generated_at":string(fmt="date-time"),"server_name":string(),"session":ref("Session"),"overview":ref("Overview"),"targets":{"type":"array","items":ref("Target")},"notifications":{"type":"array","items":ref("Notification")},"anomalies":ref("Anomalies"),"system":ref("System")},["schema_version","generated_at","session","overview","targets","notifications","anomalies"],"Everything measured, at one moment."),
 "SessionSummary": obj({"id":string(desc="the Mcp-Session-Id"),"client":ref("PeerInfo"),"protocol_version":string(),"calls":integer(desc="client calls finished on the session"),"errors":integer(desc="of those, the ones not ok (cancelled ones excepted)"),"started_at":string(fmt="date-time"),"last_seen":string(fmt="date-time"),"closed":{"type":"boolean"}},["id","calls","errors","started_at","last_seen","closed"],"One Streamable HTTP session: its client (from initialize) and its calls."),
 "SessionList": obj({"session_count":integer(desc="sessions open now"),"sessions_total":integer(desc="sessions seen since start"),"sessions":{"type":"array","items":ref("SessionSummary")}},["session_count","sessions_total","sessions"],"At most upstream.max_sessions sessions, most recently seen first; empty over stdio."),
 "ToolList": obj({"tools":{"type":"array","items":ref("Target")}},["tools"]),
 "SeriesPoint": obj({"time":string(fmt="date-time"),"calls":integer(),"errors":integer(),"avg_ms":num(),"max_ms":num()},["time","calls","errors"]),
 "TargetDetail": obj({"target":ref("Target"),"series":{"type":"array","items":ref("SeriesPoint")},
   "buckets":{"type":"array","description":"the latency distribution since the start: calls per bucket, not cumulative","items":obj({"le_ms":num(True,"upper bound in ms; absent for the last bucket, above every bound"),"count":integer()},["count"])},
   "recent_errors":{"type":"array","description":"the last failures (at most 10), newest first","items":ref("LastError")}},["target","series","buckets","recent_errors"]),
 "Health": obj({"status":{"type":"string","enum":["healthy","degraded","unhealthy"]},"issues":{"type":"array","items":obj({"severity":{"type":"string","enum":["warning","critical"]},"message":string(),"alert":string(desc="the firing alert's id, when the issue is an alert")},["severity","message"])},"summary":string(),"server_alive":{"type":"boolean"},"error_rate_last_minute":num(),"total_calls":integer(),"uptime_seconds":num()},["status","issues","summary","total_calls","uptime_seconds"]),
}
metric_names=["latency_avg","latency_p50","latency_p90","latency_p95","latency_p99","error_rate","success_rate","calls_per_second","in_flight","anomalies","server_cpu_percent","server_memory_percent","server_resident_bytes","server_open_fds","mcpwatch_cpu_percent","mcpwatch_memory_percent","mcpwatch_resident_bytes","mcpwatch_open_fds","host_cpu_percent","host_memory_percent","host_open_fds","disk_used_percent","cache_hit_rate","queue_depth"]
metric={"type":"string","enum":metric_names}
states={"type":"string","enum":["inactive","pending","firing","resolved"]}
severity={"type":"string","enum":["warning","critical"]}
schemas.update({
 "AlertRule": obj({"name":string(),"metric":metric,"scope":{"oneOf":[{"type":"string","const":"all"},obj({"methods":{"type":"array","items":string()},"targets":{"type":"array","items":string()}},["methods","targets"])]},"window":string(desc="5m, 90s, or '100 calls'"),"comparison":{"type":"string","enum":[">",">=","<","<="]},"warning":num(desc="in the metric's unit: ms, percent, bytes or a count"),"critical":num(),"for_seconds":num(),"minimum_samples":integer(),"resolve_delay_seconds":num(),"hysteresis":num(),"summary":string(),"enabled":{"type":"boolean"}},["name","metric","scope","window","comparison","for_seconds","minimum_samples","resolve_delay_seconds","hysteresis","summary","enabled"],"One threshold rule."),
 "Alert": obj({"id":string(desc="the rule's name, then method and target for per-target rules"),"rule":string(),"metric":metric,"method":string(),"target":string(),"state":states,"severity":severity,"value":num(),"threshold":num(),"summary":string(),"started_at":string(fmt="date-time"),"fired_at":string(fmt="date-time"),"resolved_at":string(fmt="date-time"),"value_when_fired":num(),"worst_value":num()},["id","rule","metric","state","summary"],"A rule applied to one target, with its lifecycle."),
 "AlertEvent": obj({"sequence":integer(),"at":string(fmt="date-time"),"kind":{"type":"string","enum":["pending","firing","escalated","deescalated","resolved","cancelled"]},"alert_id":string(),"rule":string(),"metric":metric,"method":string(),"target":string(),"from":states,"to":states,"severity":severity,"previous_severity":severity,"value":num(),"threshold":num(),"summary":string()},["sequence","at","kind","alert_id","rule","metric","from","to","summary"],"One transition of one alert: what the history keeps, webhooks receive and /api/events streams."),
 "Alerts": obj({"evaluated_at":string(fmt="date-time"),"interval_seconds":num(),"rules":{"type":"array","items":ref("AlertRule")},"active":{"type":"array","items":ref("Alert")},"history":{"type":"array","items":ref("AlertEvent")},"firing":counts,"notifier_failures":counts},["interval_seconds","rules","active","history","firing","notifier_failures"],"Pending, firing and recently resolved alerts, and the latest transitions, newest first."),
})
schemas.update({
 "OverallPoint": obj({"time":string(fmt="date-time",desc="the start of the step"),"calls":integer(),"errors":integer(),"avg_ms":num(True),"p50_ms":num(True,"from log buckets, within 12 %"),"p95_ms":num(True),"p99_ms":num(True),"max_ms":num(True)},["time","calls","errors"],"All calls together over one step."),
 "Series": obj({"step_seconds":integer(minimum=1),"points":{"type":"array","items":ref("OverallPoint")}},["step_seconds","points"],"Oldest first; the last point ends with the last complete second."),
 "Update": obj({"time":string(fmt="date-time"),"full":{"type":"boolean","description":"true: tools holds every target; false: only those that changed since the stream's previous update"},"uptime_seconds":num(),"server_name":string(),"server_alive":{"type":"boolean"},"health":ref("Health"),"overview":ref("Overview"),
   "window":obj({"seconds":integer(),"calls":integer(),"errors":integer(),"calls_per_second":num(),"success_rate":num(True),"error_rate":num(True),"avg_ms":num(True),"p50_ms":num(True),"p95_ms":num(True),"p99_ms":num(True),"in_flight":integer()},["seconds","calls","errors","calls_per_second","in_flight"],"The last minute of all calls."),
   "point":ref("OverallPoint"),"system":ref("System"),"alerts":obj({k:integer() for k in ["firing","pending","critical","warning"]},["firing","pending","critical","warning"]),"tools":{"type":"array","items":ref("Target")}},
   ["time","full","uptime_seconds","server_alive","health","overview","window","alerts","tools"],"What the dashboard shows live: one event of /api/stream, or /api/snapshot."),
 "ExplorerTools": obj({"tools":{"type":"array","items":{"type":"object","description":"A tool as the server's tools/list gave it (name, description, inputSchema, ...).","additionalProperties":True}},"duration_ms":num(),"fetched_at":string(fmt="date-time")},["tools","duration_ms","fetched_at"]),
 "ExplorerCall": obj({"id":integer(minimum=1),"name":string(),"arguments":{"type":"object","additionalProperties":True},"started_at":string(fmt="date-time"),"duration_ms":num(),"outcome":{"type":"string","enum":["ok","tool_error","jsonrpc_error","timeout"]},
   "result":{"type":["object","null"],"description":"the server's result, as it sent it","additionalProperties":True},"error":{"oneOf":[{"type":"null"},obj({"code":{"type":["integer","null"]},"message":string()},["code","message"])]}},["id","name","arguments","started_at","duration_ms","outcome","result","error"],"One call made from the dashboard's explorer."),
 "ExplorerCalls": obj({"calls":{"type":"array","items":ref("ExplorerCall")}},["calls"],"The last ten explorer calls, newest first."),
})
def jresp(schema, desc="OK"): return {"description":desc,"content":{"application/json":{"schema":ref(schema)}}}
err = lambda d: jresp("Error", d)
common={"401":err("An API key is configured and the request did not carry a valid one."),
        "403":err("The Host header names a host this mcpwatch does not answer to (DNS rebinding protection; http.allowed_hosts), or the Origin is another page's (http.allowed_origins); error.setting names the key that would allow it."),
        "413":err("The request carried a body larger than the limit (1 MiB).")}
def op(summary, responses, params=None, opid=None):
    o={"summary":summary,"operationId":opid,"responses":dict(responses, **common)}
    if params: o["parameters"]=params
    return {"get":o}
metrics_text={"description":"Prometheus text format 0.0.4, or OpenMetrics 1.0 when the Accept header asks for it.","content":{"text/plain":{"schema":{"type":"string"}},"application/openmetrics-text":{"schema":{"type":"string"}}}}
seconds={"name":"seconds","in":"query","required":False,"description":"How many seconds of per-second series (1-3600, default 300).","schema":{"type":"integer","minimum":1,"maximum":3600}}
method={"name":"method","in":"query","required":False,"description":"Only targets of this JSON-RPC method (e.g. tools/call).","schema":{"type":"string"}}
alert_params=[{"name":"state","in":"query","required":False,"schema":states},{"name":"severity","in":"query","required":False,"schema":severity},
              {"name":"target","in":"query","required":False,"description":"Only alerts whose target matches this glob (* and ?).","schema":{"type":"string"}},
              {"name":"limit","in":"query","required":False,"description":"At most this many history events (default 100).","schema":{"type":"integer","minimum":0,"maximum":100000}}]
paths={
 "/metrics": op("Prometheus metrics", {"200":metrics_text}, opid="metrics"),
 "/api/report": op("The whole report", {"200":jresp("Report")}, opid="report"),
 "/api/tools": op("Every tool and method with its statistics", {"200":jresp("ToolList")}, [method], "tools"),
 "/api/tools/{name}": op("One tool (or method) with its per-second series", {"200":jresp("TargetDetail"),"400":err("A parameter is out of range."),"404":err("No call to this name was seen.")}, [{"name":"name","in":"path","required":True,"description":"Tool or prompt name, resource URI, or method, percent-encoded; may contain '/' as it is (demo://readme).","schema":{"type":"string"}}, seconds, method], "tool"),
 "/api/sessions": op("Streamable HTTP sessions with their clients and call counts", {"200":jresp("SessionList")}, opid="sessions"),
 "/api/system": op("Process and host figures", {"200":jresp("System"),"503":err("Sampling has not run yet.")}, opid="system"),
 "/api/health": op("Health: healthy, degraded or unhealthy, with the issues", {"200":jresp("Health", "Healthy or degraded."),"503":jresp("Health","Unhealthy.")}, opid="health"),
 "/api/metrics": op("The report as JSON, or the metrics as Prometheus text", {"200":{"description":"OK","content":{"application/json":{"schema":ref("Report")},"text/plain":{"schema":{"type":"string"}}}},"400":err("Unknown format.")}, [{"name":"format","in":"query","required":False,"schema":{"type":"string","enum":["json","prometheus"]}}], "apiMetrics"),
 "/api/openapi.json": op("This document", {"200":{"description":"OpenAPI 3.1","content":{"application/json":{"schema":{"type":"object"}}}}}, opid="openapi"),
 "/system_info": op("Alias of /api/system", {"200":jresp("System"),"503":err("Sampling has not run yet.")}, opid="systemInfo"),
 "/performance/metrics": op("Alias: the report, or one tool with ?tool_name=", {"200":{"description":"OK","content":{"application/json":{"schema":{"oneOf":[ref("Report"),ref("TargetDetail")]}}}},"400":err("A parameter is out of range."),"404":err("No call to this tool was seen.")}, [{"name":"tool_name","in":"query","required":False,"schema":{"type":"string"}}, seconds], "performanceMetrics"),
 "/performance/health": op("Alias of /api/health", {"200":jresp("Health"),"503":jresp("Health","Unhealthy.")}, opid="performanceHealth"),
 "/performance/dashboard": op("Alias of /api/report", {"200":jresp("Report")}, opid="performanceDashboard"),
 "/api/alerts": op("Alerts: pending, firing and recently resolved ones, the rules, and the history", {"200":jresp("Alerts"),"400":err("A parameter is invalid."),"404":err("Alerts are switched off.")}, alert_params, "alerts"),
 "/performance/alerts": op("Alias of /api/alerts", {"200":jresp("Alerts"),"400":err("A parameter is invalid."),"404":err("Alerts are switched off.")}, alert_params, "performanceAlerts"),
 "/api/series": op("All calls over the last `seconds`, in steps (1 s up to 5 minutes, then about 300 points): counts, errors, mean, max and percentiles", {"200":jresp("Series"),"400":err("A parameter is out of range.")}, [seconds, {"name":"step","in":"query","required":False,"description":"Seconds per point (1-3600; default: 1 up to 300 s, then seconds/300).","schema":{"type":"integer","minimum":1,"maximum":3600}}], "series"),
 "/api/snapshot": op("One full dashboard update (what /api/stream sends first): for polling where streams cannot work", {"200":jresp("Update")}, opid="snapshot"),
 "/api/stream": op("Server-Sent Events for the dashboard: `event: update` every second (data: an Update, the first one full, later ones with only the tools that changed), `event: alert` for each alert transition (as /api/events), a `: keep-alive` comment every 15 s. The stream does not end.", {"200":{"description":"text/event-stream","content":{"text/event-stream":{"schema":{"type":"string"}}}},"503":err("Too many open streams (64).")}, opid="stream"),
 "/api/explorer/tools": op("The server's tools, asked by mcpwatch itself with tools/list (every page) on the client's session", {"200":jresp("ExplorerTools"),"404":err("No relayed server (the explorer needs mcpwatch proxy)."),"502":err("The server answered with an error or nonsense."),"503":err("The server has not been initialized by its client yet, or it is gone."),"504":err("The server did not answer in time.")}, opid="explorerTools"),
 "/api/explorer/calls": op("The last ten explorer calls, newest first", {"200":jresp("ExplorerCalls"),"404":err("No relayed server.")}, opid="explorerCalls"),
 "/api/call_tool": {"post":{"summary":"Calls a tool from the dashboard: a tools/call sent by mcpwatch on the client's session, measured like any call and counted in the target's dashboard_calls. A timeout is an outcome, not an HTTP error.","operationId":"callTool",
   "parameters":[{"name":"X-MCPWatch-Request","in":"header","required":True,"description":"Must be 1. A browser sends a custom header only after a CORS preflight, which mcpwatch refuses for other pages: so no web page can make this call (cross-site protection). The dashboard sends it.","schema":{"type":"string","enum":["1"]}}],
   "requestBody":{"required":True,"content":{"application/json":{"schema":obj({"name":dict(string(),minLength=1),"arguments":{"type":"object","additionalProperties":True}},["name"])}}},
   "responses":dict({"200":jresp("ExplorerCall"),"400":err("The body is not {name, arguments}."),"404":err("No relayed server."),"503":err("The server has not been initialized by its client yet, or it is gone."),"415":err("The Content-Type is not application/json.")}, **dict(common, **{"403":err("The X-MCPWatch-Request: 1 header is missing, the Origin is another page's, or the Host is not allowed.")}))}},
 "/api/events": op("Server-Sent Events: each alert transition as `event: alert`, `id:` its sequence, `data:` an AlertEvent; a `: keep-alive` comment every 15 s; after `Last-Event-ID`, the missed ones first. The stream does not end.", {"200":{"description":"text/event-stream whose data lines are AlertEvent objects.","content":{"text/event-stream":{"schema":{"type":"string"}}}},"400":err("Last-Event-ID is not a number."),"404":err("Alerts are switched off."),"503":err("Too many open streams (64).")}, [{"name":"Last-Event-ID","in":"header","required":False,"schema":{"type":"string","pattern":"^[0-9]+$"}}], "events"),
}
doc={"openapi":"3.1.0","info":{"title":"mcpwatch monitoring API","version":"1","description":"What mcpwatch measured about the MCP server it relays. JSON keys are snake_case, times RFC 3339, durations milliseconds, rates percent (0-100). With API keys configured, every endpoint requires `X-API-Key: KEY` or `Authorization: Bearer KEY`. Every endpoint answers only Host names of this machine's loopback interface, its bound address and http.allowed_hosts, and refuses browser requests from other pages' origins (http.allowed_origins allows more); requests that act (POST) must send Content-Type: application/json and X-MCPWatch-Request: 1."},
 "servers":[{"url":"/"}],
 "security":[{},{"apiKey":[]},{"bearer":[]}],
 "components":{"securitySchemes":{"apiKey":{"type":"apiKey","in":"header","name":"X-API-Key"},"bearer":{"type":"http","scheme":"bearer"}},"schemas":schemas},
 "paths":paths}
import pathlib
root = pathlib.Path(__file__).resolve().parent.parent
text = json.dumps(doc, indent=1) + "\n"
(root / "docs" / "openapi.json").write_text(text)
swift = ("// Generated by scripts/openapi.py from the same source as docs/openapi.json; do not edit.\n\n"
         "/// The OpenAPI 3.1 document of the monitoring API, served at `/api/openapi.json`.\n"
         "enum OpenAPIDocument {\n    static let json = #\"\"\"\n" + text + "\"\"\"#\n}\n")
(root / "Sources" / "MCPWatchServer" / "OpenAPIDocument.swift").write_text(swift)
print("wrote docs/openapi.json and Sources/MCPWatchServer/OpenAPIDocument.swift")

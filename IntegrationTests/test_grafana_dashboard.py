"""The Grafana dashboard (dashboards/mcpwatch.json, issue 20 item 5), checked against a real Prometheus scraping real
mcpwatch processes: `mcpwatch demo` (its own traffic, alerts that fire) and a reverse proxy in front of the SDK 2.3
server of test_modern_calls.py, driven once by the SDK 2.3 client (logical calls of several rounds, a task, a
`subscriptions/listen` stream) and once by a 2025-11-25 client (a transport session that ends, for the session
panels), so that every panel has something to show. Every panel target's expression, with the
template variables substituted as Grafana substitutes them, is evaluated through Prometheus's HTTP API: no query
error, no panel without data. Every variable's `label_values` query has values.
"""
import json
import pathlib
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.parse

import pytest

from conftest import free_port, stop, wait_for
from test_http_proxy import get, port_open
from test_modern_calls import LEGACY_CLIENT, SERVER, run_client

DASHBOARD = pathlib.Path(__file__).parent.parent / "dashboards" / "mcpwatch.json"
RATE_INTERVAL = "15s"  # what Grafana makes of $__rate_interval at a 1 s scrape interval and a short time range
INTERVAL = "5s"


def load_dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def panels(dashboard):
    for p in dashboard["panels"]:
        yield p
        yield from p.get("panels", [])  # a collapsed row holds its panels


def substitute(expr: str, values: dict) -> str:
    """Grafana's substitution of the variables mcpwatch.json uses: `$name`, `${name}`, `${name:regex}`."""
    expr = expr.replace("$__rate_interval", RATE_INTERVAL).replace("$__interval", INTERVAL).replace("$__range", "5m")

    def one(m):
        name = m.group(1) or m.group(2)
        assert name in values, f"unknown variable {name} in {expr}"
        return values[name]
    out = re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", one, expr)
    assert "$" not in out, out
    return out


def label_values(query: str):
    """`label_values(selector, label)` (Grafana's Prometheus variable query) split into its parts."""
    m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", query.strip())
    assert m, f"not a label_values query: {query}"
    return m.group(1), m.group(2)


class Prometheus:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"

    def wait_ready(self):
        """Until /-/ready answers 200: before that the API answers 503 in plain text."""
        def ready():
            try:
                get(self.base + "/-/ready", timeout=5)
                return True
            except OSError:  # refused, or an HTTPError while it starts
                return False
        wait_for(ready, 60, interval=0.2, what="Prometheus ready")

    def api(self, path, **params):
        url = f"{self.base}/api/v1/{path}?" + urllib.parse.urlencode(params, doseq=True)
        try:
            body = get(url, timeout=10)
        except urllib.error.HTTPError as e:  # a bad query is a 400 whose body says why
            body = e.read().decode()
        return json.loads(body)


def test_the_dashboard_is_an_importable_grafana_dashboard():
    d = load_dashboard()
    assert d["uid"] and d["title"] and isinstance(d["schemaVersion"], int) and d["schemaVersion"] >= 36
    variables = {v["name"]: v for v in d["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    for name in ("job", "instance", "server", "tool"):
        v = variables[name]
        assert v["type"] == "query" and v["datasource"]["uid"] == "${datasource}", name
        label_values(v["query"]["query"])
        assert v["definition"] == v["query"]["query"]
    ids = [p["id"] for p in panels(d)]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    shown = [p for p in panels(d) if p["type"] != "row"]
    assert len(shown) >= 20
    for p in panels(d):
        g = p["gridPos"]
        assert {"h", "w", "x", "y"} <= set(g) and 0 <= g["x"] and g["x"] + g["w"] <= 24, p["title"]
    for p in shown:
        assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, p["title"]
        assert p["targets"], p["title"]
        refs = [t["refId"] for t in p["targets"]]
        assert len(refs) == len(set(refs)), p["title"]
        for t in p["targets"]:
            assert t["refId"] and t["expr"] and t["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, p["title"]
    # The panels the issue asks for are there, each over the metrics it names.
    exprs = " ".join(t["expr"] for p in shown for t in p["targets"])
    for needed in ("mcpwatch_server_up", "mcpwatch_calls_total", "mcpwatch_call_errors_total", "mcpwatch_calls_in_flight",
                   "mcp_server_operation_duration_seconds_bucket", "mcpwatch_alert_firing", "mcp_server_process_cpu_seconds_total",
                   "mcp_server_process_resident_memory_bytes", "process_cpu_seconds_total", "process_resident_memory_bytes",
                   "mcpwatch_logical_call_duration_seconds_bucket", "mcpwatch_streams_open",
                   "mcp_server_session_duration_seconds_bucket", "mcp_server_session_duration_seconds_count"):
        assert needed in exprs, needed
    assert "histogram_quantile(0.95, sum by (le, server, gen_ai_tool_name) (rate(mcp_server_operation_duration_seconds_bucket" in exprs
    assert any(p["type"] == "heatmap" and p["targets"][0].get("format") == "heatmap" for p in shown)
    # A row is kept for traffic control, whose panels come with its metrics (issue 19).
    assert any(p["type"] == "row" and p["title"] == "Traffic control" for p in d["panels"])


def test_every_panel_has_data_in_a_real_prometheus(mcpwatch, peers, tmp_path):
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        pytest.fail("prometheus is not installed: scripts/test installs it (Debian package prometheus)")
    python = peers["sdk2_python"]
    dashboard = load_dashboard()
    demo_port, upstream_port, serve_port, listen_port, prom_port = (free_port() for _ in range(5))
    demo = subprocess.Popen([mcpwatch, "demo", "--listen", f"127.0.0.1:{demo_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    upstream = subprocess.Popen([python, SERVER, "--port", str(upstream_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proxy = subprocess.Popen([mcpwatch, "proxy", "--upstream", f"http://127.0.0.1:{upstream_port}/mcp", "--serve-http",
                              f"127.0.0.1:{serve_port}", "--listen", f"127.0.0.1:{listen_port}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    config = tmp_path / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: mcpwatch\n"
                      f"    static_configs:\n      - targets: ['127.0.0.1:{demo_port}', '127.0.0.1:{listen_port}']\n")
    server = None
    try:
        for port in (demo_port, upstream_port, serve_port, listen_port):
            wait_for(lambda: port_open(port), 30, what=f"port {port}")
        # Logical calls (input_required, a task) and a subscriptions/listen stream, through the reverse proxy.
        run_client(python, f"http://127.0.0.1:{serve_port}/mcp")
        # A 2025-11-25 session (Mcp-Session-Id) that the client ends: the session duration panels.
        legacy = subprocess.run([python, "-c", LEGACY_CLIENT, f"http://127.0.0.1:{serve_port}/mcp"],
                                capture_output=True, text=True, timeout=120)
        assert legacy.returncode == 0, legacy.stderr[-3000:]
        # Prometheus starts once both servers have answered initialize: a scrape before that would record a
        # server="unknown" series, which the variables below would list.
        wait_for(lambda: 'mcpwatch_server_up{server="mcpwatch-demo"' in get(f"http://127.0.0.1:{demo_port}/metrics"), 30,
                 what="the demo's initialize")
        server = subprocess.Popen([prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
                                   f"--web.listen-address=127.0.0.1:{prom_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        prom = Prometheus(prom_port)
        prom.wait_ready()

        variables = {v["name"]: v for v in dashboard["templating"]["list"] if v["type"] == "query"}
        everything = {name: ".*" for name in variables} | {"datasource": ""}

        def values_of(name, chosen):
            selector, label = label_values(substitute(variables[name]["query"]["query"], chosen))
            answer = prom.api("series", **{"match[]": selector, "start": time.time() - 300, "end": time.time()})
            assert answer["status"] == "success", (name, answer)
            return sorted({s[label] for s in answer["data"] if label in s})

        targets = [(p["title"], t) for p in panels(dashboard) if p["type"] != "row" for t in p["targets"]]

        def empty(chosen, query_range):
            """The panel targets without a series (after raising on any query error)."""
            missing = []
            now = time.time()
            for title, t in targets:
                expr = substitute(t["expr"], chosen)
                if t.get("instant") and not query_range:
                    answer = prom.api("query", query=expr, time=now)
                else:
                    answer = prom.api("query_range", query=expr, start=now - 30, end=now, step="1s")
                assert answer["status"] == "success", (title, t["refId"], expr, answer.get("error"))
                if not answer["data"]["result"]:
                    missing.append(f"{title} [{t['refId']}]: {expr}")
            return missing

        # Polled with a deadline until Prometheus has scraped enough for a rate window (alerts included, which
        # the demo fires within seconds); a panel over a metric that does not exist never fills, and fails here.
        deadline = time.monotonic() + 60
        while True:
            last = empty(everything, query_range=False) + empty(everything, query_range=True)
            if not last:
                break
            if time.monotonic() > deadline:
                pytest.fail("panels without data after 60 s:\n" + "\n".join(last))
            time.sleep(1)

        # Every metric a query names is one Prometheus scraped, also where an `or` would hide its absence.
        scraped = set(prom.api("label/__name__/values")["data"])
        named = {m for _, t in targets for m in re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{", t["expr"])}
        named |= {label_values(v["query"]["query"])[0].split("{")[0] for v in variables.values()}
        assert len(named) >= 25 and named <= scraped, sorted(named - scraped)

        # Every variable has values, with All upstream and with a real value chosen, as a user clicks through.
        assert values_of("job", everything) == ["mcpwatch"]
        assert values_of("instance", everything) == sorted([f"127.0.0.1:{demo_port}", f"127.0.0.1:{listen_port}"])
        assert values_of("server", everything) == ["mcpwatch-demo", "modern-calls-peer"]
        assert {"echo", "flaky_fetch", "slow_report", "confirm", "long_job"} <= set(values_of("tool", everything))
        demo_only = everything | {"job": "mcpwatch", "instance": f"127.0.0.1:{demo_port}", "server": "mcpwatch-demo"}
        assert values_of("server", demo_only) == ["mcpwatch-demo"]
        assert "slow_report" in values_of("tool", demo_only) and "confirm" not in values_of("tool", demo_only)
        # With one server chosen every query still evaluates; the demo has neither logical calls nor streams nor
        # transport sessions (it relays stdio), so the panels that remain empty are those only.
        still_empty = empty(demo_only, query_range=False)
        logical_and_streams = {"Logical call latency p95", "Logical calls, rounds and task polls", "Streams open",
                               "Session duration p50 / p95", "Sessions ended",
                               "Streams opened and closed", "Stream notifications"}
        assert still_empty and {e.split(" [")[0] for e in still_empty} <= logical_and_streams, still_empty
    finally:
        stop(*[p for p in (server, proxy, upstream, demo) if p is not None])

"""The monitoring API of a running proxy, checked with real tools: promtool, a Prometheus server, schemathesis."""
import gzip
import json
import os
import pathlib
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import free_port, wait_for


def http_get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError:
        return None, b""


class LiveProxy:
    """mcpwatch proxy in front of the SDK's echo server, with a thread sending echo calls until stopped."""

    def __init__(self, mcpwatch, peers, tmp_path, env=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [mcpwatch, "proxy", "--listen", f"127.0.0.1:{self.port}", "--log-level", "warning", "--",
             sys.executable, peers["echo_server"]],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=dict(os.environ, **(env or {})))
        self.send(b'{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}\n')
        self.proc.stdout.readline()
        self.send(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        self.calls = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._drive, daemon=True)
        self.thread.start()

    def send(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def _drive(self):
        i = 1
        while not self.stopping.is_set() and i < 200_000:
            self.send(json.dumps({"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"name": "echo", "arguments": {"text": f"m{i}"}}}).encode() + b"\n")
            self.proc.stdout.readline()
            self.calls = i
            i += 1
            self.stopping.wait(0.005)

    def stop(self):
        self.stopping.set()
        self.thread.join(10)
        self.proc.stdin.close()
        self.proc.wait(15)


@pytest.fixture
def live(mcpwatch, peers, tmp_path):
    proxies = []

    def start(env=None):
        p = LiveProxy(mcpwatch, peers, tmp_path, env)
        proxies.append(p)
        wait_for(lambda: http_get(p.url + "/api/health")[0] == 200 or http_get(p.url + "/api/health")[0] == 401, what="the HTTP API")
        return p

    yield start
    for p in proxies:
        if p.proc.poll() is None:
            p.stop()


def test_metrics_pass_promtool_and_report_counts(live):
    p = live()
    wait_for(lambda: p.calls >= 50, what="50 calls")
    status, body = http_get(p.url + "/metrics")
    assert status == 200
    check = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, timeout=30)
    assert check.returncode == 0 and check.stdout == b"" and check.stderr == b"", (check.stdout + check.stderr).decode()
    text = body.decode()
    assert 'mcp_server_operation_duration_seconds_bucket{server="echo-peer",network_transport="pipe",mcp_method_name="tools/call",gen_ai_tool_name="echo",gen_ai_operation_name="execute_tool",mcp_protocol_version="2025-06-18",le="0.0001"}' in text
    assert "process_resident_memory_bytes " in text and 'mcp_server_process_resident_memory_bytes{server="echo-peer"}' in text
    # As Prometheus asks for it: gzip, whose segments the second scrape mostly reuses from the first.
    for _ in range(2):
        request = urllib.request.Request(p.url + "/metrics", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=5) as r:
            assert r.headers["Content-Encoding"] == "gzip"
            plain = gzip.decompress(r.read())
        check = subprocess.run(["promtool", "check", "metrics"], input=plain, capture_output=True, timeout=30)
        assert check.returncode == 0 and check.stdout == b"" and check.stderr == b"", (check.stdout + check.stderr).decode()
        assert plain.decode().splitlines()[:2] == text.splitlines()[:2]
    p.stop()


def test_report_system_and_health(live):
    p = live(env={"MCPWATCH_SAMPLING_INTERVAL": "200ms"})
    wait_for(lambda: p.calls >= 20, what="20 calls")
    calls_before = p.calls
    report = json.loads(http_get(p.url + "/api/report")[1])
    echo = {t["name"]: t for t in report["targets"]}["echo"]
    # Every answered call is counted; the one in flight at the moment may or may not be.
    assert calls_before <= echo["calls"] + echo["in_flight"] <= p.calls + 1
    # The first sample may catch the server right at exec; a loaded Python interpreter holds several MB.
    system = wait_for(lambda: (lambda s: s if s.get("server", {}).get("resident_bytes", {}).get("current", 0) > 5_000_000 else None)(
        json.loads(http_get(p.url + "/api/system")[1])), what="the server's memory to show")
    server = system["server"]
    assert server["alive"] and server["pid"] > 0
    assert server["cpu_seconds_total"] > 0
    assert len(system["series"]) >= 2
    assert server["process_count"] >= 1
    assert system["mcpwatch"]["resident_bytes"]["current"] > 0
    assert 0 < system["host"]["memory_used_percent"]["current"] < 100
    health = json.loads(http_get(p.url + "/api/health")[1])
    assert health["status"] == "healthy"


def test_a_real_prometheus_answers_the_p95_query(live, mcpwatch, tmp_path):
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        pytest.fail("prometheus is not installed: scripts/test installs it (Debian package prometheus)")
    p = live()
    prom_port = free_port()
    # mcpwatch's own alert rules, exported for Prometheus, evaluated by it against mcpwatch's metrics.
    rules = tmp_path / "mcpwatch-rules.yml"
    subprocess.run([mcpwatch, "rules", "export", "--format", "prometheus", "--output", str(rules)], check=True, timeout=30)
    config = tmp_path / "prometheus.yml"
    config.write_text(f"global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {rules}\nscrape_configs:\n  - job_name: mcpwatch\n    static_configs:\n      - targets: ['127.0.0.1:{p.port}']\n")
    server = subprocess.Popen([prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
                               f"--web.listen-address=127.0.0.1:{prom_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        query = "histogram_quantile(0.95, sum by (le) (rate(mcp_server_operation_duration_seconds_bucket[1m])))"
        url = f"http://127.0.0.1:{prom_port}/api/v1/query?" + urllib.parse.urlencode({"query": query})

        def answer():
            status, body = http_get(url)
            if status != 200:
                return None
            result = json.loads(body)["data"]["result"]
            if result and result[0]["value"][1] not in ("NaN", "+Inf"):
                return float(result[0]["value"][1])
            return None

        p95 = wait_for(answer, timeout=90, interval=0.5, what="Prometheus to answer the p95 query")
        assert 0 < p95 < 1.0
        up = json.loads(http_get(f"http://127.0.0.1:{prom_port}/api/v1/query?query=up")[1])["data"]["result"]
        assert up[0]["value"][1] == "1"

        def evaluated_rules():
            groups = json.loads(http_get(f"http://127.0.0.1:{prom_port}/api/v1/rules")[1])["data"]["groups"]
            found = [r for g in groups for r in g["rules"]]
            return found if found and all(r.get("lastEvaluation", "").startswith("2") and not r["lastEvaluation"].startswith("0001") for r in found) else None

        evaluated = wait_for(evaluated_rules, timeout=60, interval=0.5, what="Prometheus to evaluate the exported rules")
        assert len(evaluated) == 13
        # Every expression evaluated without error against the real series (no many-to-many matches, no bad labels).
        assert all(r["health"] == "ok" for r in evaluated), [(r["name"], r.get("lastError")) for r in evaluated if r["health"] != "ok"]
    finally:
        server.terminate()
        server.wait(15)


ROUTES = ["/metrics", "/api/report", "/api/tools", "/api/tools/echo", "/api/system", "/api/health", "/api/metrics", "/api/alerts",
          "/performance/alerts",
          "/api/openapi.json", "/system_info", "/performance/metrics", "/performance/health", "/performance/dashboard", "/nothing"]


def test_every_route_requires_the_api_key(live):
    p = live(env={"MCPWATCH_API_KEY": "k3y-one,k3y-two"})
    wait_for(lambda: p.calls >= 3, what="3 calls")
    for route in ROUTES:
        assert http_get(p.url + route)[0] == 401, route
        assert http_get(p.url + route, {"X-API-Key": "wrong"})[0] == 401, route
        assert http_get(p.url + route, {"X-API-Key": "k3y-one"})[0] != 401, route
        assert http_get(p.url + route, {"Authorization": "Bearer k3y-two"})[0] != 401, route


def test_a_taken_port_does_not_stop_the_proxy(mcpwatch, peers, live):
    p = live()
    out = subprocess.run([mcpwatch, "proxy", "--listen", f"127.0.0.1:{p.port}", "--", sys.executable, peers["echo_server"]],
                         input=b'{"jsonrpc":"2.0","id":1,"method":"ping"}\n', capture_output=True, timeout=30)
    assert out.returncode == 0
    assert json.loads(out.stdout)["id"] == 1
    assert b"cannot serve HTTP on 127.0.0.1:" in out.stderr and b"keeps running" in out.stderr


def test_schemathesis_finds_nothing(live):
    schemathesis = pathlib.Path(sys.executable).parent / "schemathesis"
    if not schemathesis.exists():
        pytest.fail("schemathesis is not installed: scripts/test installs it")
    p = live()
    wait_for(lambda: p.calls >= 5, what="5 calls")
    # /api/events and /api/stream never end (checked by test_alerts.py and test_dashboard.py); every other operation is fuzzed,
    # /api/call_tool included (it calls the real server with whatever schemathesis makes up).
    out = subprocess.run([str(schemathesis), "run", p.url + "/api/openapi.json", "--checks", "all", "--max-examples", "25",
                          "--seed", "1", "--exclude-path", "/api/events", "--exclude-path", "/api/stream"], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-4000:]

"""Scale-out as docs/scale-out.md describes it (issue 20 item 6): several mcpwatch instances, each monitoring a server
of its own, found by a real Prometheus (Debian package) through file-based service discovery, with the alert rules
that `mcpwatch rules export` writes loaded into that Prometheus. Checked: discovery picks up an instance added to the
targets file; queries that aggregate across instances return each of them; `promtool check rules` accepts the
export, Prometheus loads every rule healthy, and an alert over the fleet's metrics goes pending or firing.
"""
import json
import os
import shutil
import subprocess
import time

import pytest

from conftest import free_port, stop, wait_for
from test_grafana_dashboard import Prometheus
from test_http_proxy import port_open

SERVERS = ["alpha", "beta", "gamma"]

# The demo's quick rules (DemoCommand.demoConfiguration), so an alert can fire within the test's time: the export
# carries each rule's window, `for` and thresholds over.
RULES_CONFIG = """\
alerts:
  rules:
    - name: tool_success_rate
      window: 1m
      warning: 99%
      critical: 75%
      for: 0s
      min_samples: 5
    - name: error_rate
      window: 1m
      warning: 1%
      for: 0s
      min_samples: 5
"""


def demo(mcpwatch, name, port):
    """`mcpwatch demo` with its server named `name` (MCPWATCH_SERVER_NAME reaches the proxy the demo starts)."""
    return subprocess.Popen([mcpwatch, "demo", "--listen", f"127.0.0.1:{port}", "--rate", "10"],
                            env=dict(os.environ, MCPWATCH_SERVER_NAME=name, MCPWATCH_STORE_ENABLED="false"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def write_targets(path, ports):
    """A file_sd targets file, one group per host as docs/scale-out.md writes it; replaced atomically."""
    groups = [{"targets": [f"127.0.0.1:{port}"], "labels": {"host": f"host-{i}"}} for i, port in enumerate(ports)]
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(groups))
    tmp.replace(path)


def test_prometheus_discovers_instances_aggregates_them_and_runs_the_exported_rules(mcpwatch, tmp_path):
    prometheus = shutil.which("prometheus")
    promtool = shutil.which("promtool")
    if prometheus is None or promtool is None:
        pytest.fail("prometheus is not installed: scripts/test installs it (Debian package prometheus)")

    # The rules, exported and checked as docs/scale-out.md says.
    config_file = tmp_path / "mcpwatch.yaml"
    config_file.write_text(RULES_CONFIG)
    rules_file = tmp_path / "mcpwatch-rules.yml"
    export = subprocess.run([mcpwatch, "rules", "export", "--format", "prometheus", "--config", str(config_file),
                             "--output", str(rules_file)], capture_output=True, text=True, timeout=30)
    assert export.returncode == 0, export.stderr
    check = subprocess.run([promtool, "check", "rules", str(rules_file)], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr
    exported = [json.loads(line.split(":", 1)[1]) for line in rules_file.read_text().splitlines() if line.strip().startswith("- alert:")]
    assert exported

    ports = [free_port() for _ in SERVERS]
    prom_port = free_port()
    targets = tmp_path / "targets" / "mcpwatch.json"
    targets.parent.mkdir()
    write_targets(targets, ports[:2])
    config = tmp_path / "prometheus.yml"
    config.write_text(f"""\
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - {rules_file}
scrape_configs:
  - job_name: mcpwatch
    file_sd_configs:
      - files: ['{targets.parent}/*.json']
        refresh_interval: 5s
""")
    processes = [demo(mcpwatch, name, port) for name, port in zip(SERVERS, ports)]
    server = subprocess.Popen([prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
                               f"--web.listen-address=127.0.0.1:{prom_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    processes.append(server)
    try:
        for port in ports:
            wait_for(lambda: port_open(port), 30, what=f"port {port}")
        prom = Prometheus(prom_port)
        prom.wait_ready()

        def query(expr):
            answer = prom.api("query", query=expr, time=time.time())
            assert answer["status"] == "success", (expr, answer)
            return answer["data"]["result"]

        def up_instances():
            return sorted(r["metric"]["instance"] for r in query('up{job="mcpwatch"} == 1'))

        # Two instances from the file, then the third once the file lists it: no restart, no reload.
        instances = [f"127.0.0.1:{port}" for port in ports]
        wait_for(lambda: up_instances() == sorted(instances[:2]), 60, interval=0.5, what="the two instances in the targets file")
        write_targets(targets, ports)
        wait_for(lambda: up_instances() == sorted(instances), 60, interval=0.5, what="the instance added to the targets file")

        # Queries across the fleet: per instance and server, each one answers; the fleet-wide ones add them up.
        by_instance = 'sum by (instance, host, server) (rate(mcpwatch_calls_total{job="mcpwatch"}[15s])) > 0'
        wait_for(lambda: len(query(by_instance)) == 3, 60, interval=0.5, what="calls from every instance")
        rows = {r["metric"]["instance"]: r["metric"] for r in query(by_instance)}
        assert sorted(rows) == sorted(instances)
        assert sorted(m["server"] for m in rows.values()) == SERVERS
        assert sorted(m["host"] for m in rows.values()) == ["host-0", "host-1", "host-2"]
        [fleet] = query('sum(rate(mcpwatch_calls_total{job="mcpwatch"}[15s]))')
        assert float(fleet["value"][1]) > 0
        p95 = ('histogram_quantile(0.95, sum by (le, server) (rate(mcp_server_operation_duration_seconds_bucket'
               '{job="mcpwatch", mcp_method_name="tools/call"}[15s])))')
        assert sorted(r["metric"]["server"] for r in query(p95)) == SERVERS
        assert len(query('histogram_quantile(0.95, sum by (le) (rate(mcp_server_operation_duration_seconds_bucket{job="mcpwatch"}[15s])))')) == 1
        assert sorted(r["metric"]["server"] for r in query("mcpwatch_server_up == 1")) == SERVERS

        # The exported rules, loaded and evaluated by Prometheus: every one healthy, and an alert active on the
        # demo's failing tools, per server.
        def rules():
            answer = prom.api("rules", type="alert")
            assert answer["status"] == "success", answer
            return [rule for group in answer["data"]["groups"] for rule in group["rules"]]

        wait_for(lambda: rules() and all(r.get("lastEvaluation", "").startswith("20") and r["health"] == "ok" for r in rules()),
                 30, interval=0.5, what="every exported rule evaluated")
        assert sorted({r["name"] for r in rules()}) == sorted(set(exported))

        def active_servers():
            return {a["labels"].get("server") for r in rules() for a in r.get("alerts", []) if a["state"] in ("pending", "firing")}

        wait_for(lambda: active_servers() & set(SERVERS), 90, interval=0.5, what="an exported alert going off")
        assert query('ALERTS{alertstate="firing"}') or query('ALERTS{alertstate="pending"}')
    finally:
        stop(*processes)

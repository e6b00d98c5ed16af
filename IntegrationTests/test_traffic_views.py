"""What traffic control did, seen apart (issue 19, item 6): `/api/traffic`, the traffic families of `/metrics`, the
report's `traffic` and the dashboard's Traffic view, across processes.

A user's proxy in front of the SDK's echo server with a `traffic:` section (a concurrency cap, a cache, the server's
breaker and one for a tool with a hostile name) shows the configured state at once, before traffic control has acted
on anything; one without a `traffic:` section has no traffic series and its Traffic view says traffic control is off.
The view is checked in headless Chromium (missing Chromium or Selenium fails, as in test_dashboard.py).
"""
import json
import os
import subprocess
import sys
import urllib.request

import pytest

from conftest import free_port, wait_for
from test_dashboard import SHOTS, _make_driver, _require_browser, assert_no_console_errors, screenshot, text_of

HOSTILE = '<img src=x onerror="document.title=1">&amp;"\\'

CONFIG = f"""
traffic:
  max_concurrency: 2
  timeout: 30s
  queue:
    max_size: 10
    timeout: 5s
  cache:
    entries: 100
    ttl: 30s
  breaker:
    failures: 5
  tools:
    {json.dumps(HOSTILE)}:
      breaker:
        failures: 3
"""


class Proxy:
    """`mcpwatch proxy --listen` in front of the echo server, initialized and with a few echo calls made."""

    def __init__(self, mcpwatch, peers, tmp_path, config=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [mcpwatch, "proxy", "--listen", f"127.0.0.1:{self.port}", "--log-level", "warning", "--no-store"]
        if config is not None:
            path = tmp_path / "traffic.yaml"
            path.write_text(config)
            args += ["--config", str(path)]
        self.proc = subprocess.Popen(args + ["--", sys.executable, peers["echo_server"]], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.call({"method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                                                      "clientInfo": {"name": "t", "version": "1"}}}, 0)
        self.proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        for i in range(1, 6):
            self.call({"method": "tools/call", "params": {"name": "echo", "arguments": {"text": f"m{i}"}}}, i)
        wait_for(lambda: self.get("/api/health")[0] == 200, what="the HTTP API")

    def call(self, message, id_):
        self.proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": id_, **message}).encode() + b"\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, self.proc.stderr.read().decode()[-2000:]
        return json.loads(line)

    def get(self, path):
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as r:
                return r.status, r.read()
        except OSError:
            return None, b""

    def json(self, path):
        status, body = self.get(path)
        assert status == 200, (path, status, body[:500])
        return json.loads(body)

    def stop(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


@pytest.fixture(scope="module")
def proxies(mcpwatch, peers, tmp_path_factory):
    on = Proxy(mcpwatch, peers, tmp_path_factory.mktemp("on"), CONFIG)
    off = Proxy(mcpwatch, peers, tmp_path_factory.mktemp("off"))
    yield on, off
    on.stop()
    off.stop()


def test_api_metrics_and_report_show_the_configured_idle_state(proxies):
    on, off = proxies
    answer = on.json("/api/traffic")
    assert answer["enabled"] is True
    traffic = answer["traffic"]
    assert traffic["policy"]["max_concurrency"] == 2 and traffic["policy"]["cache"] is True
    assert traffic["policy"]["tools"] == [HOSTILE]
    assert {b["name"]: b["state"] for b in traffic["breakers"]} == {"server": "closed", "tool:" + HOSTILE: "closed"}
    assert traffic["answered"] == {o: 0 for o in ("cached", "queued_out", "rejected", "timed_out", "circuit_open", "rate_limited")}
    assert traffic["queue"]["depth"] == 0 and traffic["transitions"] == []
    # The server's own figures stay the server's: the five echo calls are in the report's targets.
    report = on.json("/api/report")
    assert report["traffic"]["cache"]["entries"] == 0
    assert next(t for t in report["targets"] if t["name"] == "echo")["calls"] == 5

    status, metrics = on.get("/metrics")
    assert status == 200
    check = subprocess.run(["promtool", "check", "metrics"], input=metrics, capture_output=True, timeout=30)
    assert check.returncode == 0 and check.stdout == b"" and check.stderr == b"", (check.stdout + check.stderr).decode()
    text = metrics.decode()
    assert 'mcpwatch_traffic_queue_depth{server="echo-peer",network_transport="pipe"} 0\n' in text
    escaped = HOSTILE.replace("\\", "\\\\").replace('"', '\\"')
    assert f'mcpwatch_traffic_breaker_state{{server="echo-peer",network_transport="pipe",breaker="tool:{escaped}",state="closed"}} 1\n' in text
    assert "mcpwatch_traffic_cache_hits_total" in text

    # Without a traffic: section: nothing new.
    assert off.json("/api/traffic") == {"enabled": False, "message": off.json("/api/traffic")["message"]}
    assert "traffic control is off" in off.json("/api/traffic")["message"]
    assert "mcpwatch_traffic_" not in off.get("/metrics")[1].decode()
    assert "traffic" not in off.json("/api/report")
    # The alert rules that read traffic control's figures are there in both, with no data to fire on.
    rules = {r["name"] for r in on.json("/api/alerts")["rules"]}
    assert {"queue_depth", "cache_hit_rate"} <= rules
    assert not [a for a in on.json("/api/alerts")["active"] if a["rule"] in ("queue_depth", "cache_hit_rate")]


def test_traffic_view_in_chromium(proxies):
    on, off = proxies
    _require_browser()
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver = _make_driver()
    try:
        driver.get(on.url + "/#/traffic")
        wait_for(lambda: driver.find_element("id", "traffic-on").get_attribute("hidden") is None
                 and text_of(driver, "#traffic-policy").startswith("Configured:"), timeout=20, what="the Traffic view's figures")
        assert "at most 2 in flight" in text_of(driver, "#traffic-policy") and "cache on" in text_of(driver, "#traffic-policy")
        assert driver.find_element("id", "traffic-off").get_attribute("hidden") is not None
        rows = wait_for(lambda: driver.find_elements("css selector", "#traffic-breakers tbody tr") or None, timeout=10, what="the breakers")
        cells = [[c.text for c in r.find_elements("css selector", "td")] for r in rows]
        # The hostile name is text, never markup: no element came of it, and the title is untouched.
        assert cells == [["server", "closed", "0"], ["tool:" + HOSTILE, "closed", "0"]], cells
        assert driver.execute_script("return document.querySelectorAll('#view-traffic img').length") == 0
        assert driver.title != "1"
        outcomes = [r.get_attribute("data-outcome") for r in driver.find_elements("css selector", "#traffic-outcomes tbody tr")]
        assert outcomes == ["cached", "queued_out", "rejected", "timed_out", "circuit_open", "rate_limited"]
        assert text_of(driver, "#traffic-card-queue .value") == "0"
        assert text_of(driver, "#traffic-card-hit-rate .value") == "–"
        # The gate is wired: a call made through this proxy is let through and listed; before any, the view says so.
        assert (text_of(driver, "#traffic-targets-empty") == "Traffic control has not acted on any call yet."
                or driver.find_elements("css selector", "#traffic-targets tbody tr"))
        assert driver.find_element("css selector", '#nav a[data-view="traffic"]').get_attribute("aria-current") == "page"
        screenshot(driver, "traffic")
        assert_no_console_errors(driver, "the Traffic view")

        driver.get(off.url + "/#/traffic")
        wait_for(lambda: text_of(driver, "#traffic-off").startswith("Traffic control is off"), timeout=20, what="traffic control is off")
        assert driver.find_element("id", "traffic-on").get_attribute("hidden") is not None
        screenshot(driver, "traffic-off")
        assert_no_console_errors(driver, "the Traffic view without traffic control")
    finally:
        driver.quit()

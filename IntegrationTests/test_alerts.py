"""Alerts across processes: a slow tool of a real server fires a warning, a webhook receiver gets a signed POST,
the event stream and health show it, and the alert resolves once the tool is fast again. And the Prometheus export
passes promtool."""
import hashlib
import hmac
import http.server
import json
import os
import subprocess
import threading
import urllib.request

import pytest

from conftest import free_port, wait_for
from test_health_command import DemoProxy


class WebhookReceiver:
    """A small local HTTP server that keeps every POST: headers and body."""

    def __init__(self, fail_first=0):
        self.posts = []
        self.fail_first = fail_first
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.fail_first > 0:
                    receiver.fail_first -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                receiver.posts.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self):
        return [json.loads(body)["event"] for _, body in self.posts]

    def close(self):
        self.server.shutdown()


def get_json(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_slow_tool_fires_signs_its_webhook_and_resolves(mcpwatch, tmp_path):
    secret = "s3cret-for-hmac"
    (tmp_path / "secret").write_text(secret + "\n")
    receiver = WebhookReceiver(fail_first=1)  # the first delivery fails: the retry must bring it
    config = tmp_path / "mcpwatch.yaml"
    config.write_text(f"""
alerts:
  interval: 200ms
  builtin_rules: false
  rules:
    - name: slow_report_slow
      metric: latency_avg
      scope: {{tools: [slow_report]}}
      window: 3 calls
      warning: 200ms
      critical: 5s
      min_samples: 3
      for: 0s
      resolve_delay: 0s
      summary: "{{target}} takes {{value}} on average over the last {{window}}"
  webhooks:
    - url: {receiver.url}
      secret_file: {tmp_path / "secret"}
      retries: 3
""")
    p = DemoProxy(mcpwatch, env={"MCPWATCH_CONFIG": str(config)})
    try:
        wait_for(lambda: get_json(p.url + "/api/alerts")[0] == 200, what="the HTTP API")
        stream = subprocess.Popen(["curl", "-sN", "--max-time", "60", p.url + "/api/events"], stdout=subprocess.PIPE)
        for _ in range(3):
            assert "result" in p.call("slow_report", {"seconds": 0.3})
        alerts = wait_for(lambda: (lambda a: a if a["active"] and a["active"][0]["state"] == "firing" else None)(get_json(p.url + "/api/alerts")[1]),
                          what="the alert to fire")
        alert = alerts["active"][0]
        assert alert["id"] == "slow_report_slow:tools/call:slow_report" and alert["severity"] == "warning"
        assert 250 < alert["value_when_fired"] < 5000
        assert alert["summary"].startswith("slow_report takes ") and alert["summary"].endswith(" on average over the last 3 calls")
        status, health = get_json(p.url + "/api/health")
        assert status == 200 and health["status"] == "degraded" and health["issues"][0]["alert"] == alert["id"]
        code = subprocess.run([mcpwatch, "health", p.url], capture_output=True, text=True, timeout=30)
        assert code.returncode == 1 and code.stdout.startswith("degraded: slow_report takes")

        for _ in range(3):
            assert "result" in p.call("slow_report", {"seconds": 0})
        wait_for(lambda: [e["kind"] for e in receiver.events()] == ["firing", "resolved"], timeout=30, what="firing and resolved webhooks")
        for headers, body in receiver.posts:
            expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            assert headers["X-MCPWatch-Signature"] == expected
            assert headers["Content-Type"] == "application/json"
        first = json.loads(receiver.posts[0][1])
        assert first["version"] == 1 and first["source"] == "mcpwatch" and first["server"] == "mcpwatch-demo"
        assert first["event"]["alert_id"] == alert["id"] and first["event"]["from"] == "inactive" and first["event"]["to"] == "firing"
        assert receiver.posts[0][0]["X-MCPWatch-Event"] == "firing"

        status, alerts = get_json(p.url + "/api/alerts?state=resolved")
        assert [a["id"] for a in alerts["active"]] == [alert["id"]]
        assert [e["kind"] for e in get_json(p.url + "/api/alerts")[1]["history"]] == ["resolved", "firing"]
        assert get_json(p.url + "/api/health")[1]["status"] == "healthy"
        assert get_json(p.url + "/api/alerts")[1]["notifier_failures"] == {}  # the failed first attempt was retried

        stream.terminate()
        text = stream.communicate(timeout=10)[0].decode()
        events = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]
        assert [e["kind"] for e in events] == ["firing", "resolved"]
        assert "event: alert\nid: 1\n" in text
        # Reconnecting with Last-Event-ID replays what came after it.
        replay = subprocess.run(["curl", "-sN", "--max-time", "2", "-H", "Last-Event-ID: 1", p.url + "/api/events"],
                                capture_output=True, text=True, timeout=30).stdout
        assert [json.loads(l[6:])["kind"] for l in replay.splitlines() if l.startswith("data: ")] == ["resolved"]
    finally:
        p.stop()
        receiver.close()


def test_a_failing_webhook_is_counted_and_never_blocks_the_relay(mcpwatch, tmp_path):
    config = tmp_path / "mcpwatch.yaml"
    port = free_port()  # nothing listens there
    config.write_text(f"""
alerts:
  interval: 200ms
  builtin_rules: false
  rules:
    - name: any_call
      metric: calls_per_second
      scope: all
      window: 10s
      warning: 0.01
  webhooks:
    - url: http://127.0.0.1:{port}/hook
      retries: 1
      timeout: 1s
""")
    p = DemoProxy(mcpwatch, env={"MCPWATCH_CONFIG": str(config)})
    try:
        assert "result" in p.call("echo", {"text": "x"})
        wait_for(lambda: get_json(p.url + "/api/alerts")[1]["notifier_failures"].get(f"webhook http://127.0.0.1:{port}/hook") == 1,
                 timeout=30, what="the webhook failure to be counted")
        # Calls go on at full speed while the webhook fails.
        for i in range(50):
            assert p.call("echo", {"text": str(i)})["result"]["content"][0]["text"] == str(i)
        metrics = urllib.request.urlopen(p.url + "/metrics", timeout=5).read().decode()
        assert f'mcpwatch_alert_notifier_failures_total{{server="mcpwatch-demo",notifier="webhook http://127.0.0.1:{port}/hook"}} 1' in metrics
    finally:
        p.stop()


def test_prometheus_export_passes_promtool(mcpwatch, tmp_path):
    config = tmp_path / "mcpwatch.yaml"
    config.write_text("""
alerts:
  rules:
    - name: tool_latency_p95
      warning: 1s
    - name: disk
      enabled: false
    - name: odd.names
      metric: latency_p99
      scope: {tools: ["search*", "a.b", "back`tick"]}
      window: 100 calls
      warning: 800ms
    - name: fds
      metric: server_open_fds
      warning: 1000
""")
    out = tmp_path / "rules.yml"
    subprocess.run([mcpwatch, "rules", "export", "--format", "prometheus", "--config", str(config), "--output", str(out)], check=True, timeout=30)
    text = out.read_text()
    assert "McpwatchDisk" not in text and "McpwatchOddNames" in text and "last 100 calls cannot be said in PromQL" in text
    check = subprocess.run(["promtool", "check", "rules", str(out)], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "SUCCESS: 13 rules found" in check.stdout

"""`mcpwatch demo`, as a new user runs it: live traffic on the demo's tools, alerts that fire, a clean Ctrl-C."""
import json
import signal
import subprocess
import urllib.request

from conftest import free_port, wait_for


def get(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


def test_demo_drives_live_traffic_fires_alerts_and_stops_on_ctrl_c(mcpwatch):
    port = free_port()
    demo = subprocess.Popen([mcpwatch, "demo", "--listen", f"127.0.0.1:{port}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = [demo.stdout.readline() for _ in range(8)]
        assert banner[0].startswith("mcpwatch demo: the demo MCP server runs behind mcpwatch"), banner
        assert f"dashboard: open http://127.0.0.1:{port}/ in a browser" in banner[1], banner
        assert f"http://127.0.0.1:{port}/api/report" in "".join(banner) and "Ctrl-C stops." in banner[-1]
        base = f"http://127.0.0.1:{port}"

        def tools():
            return {t["name"]: t["calls"] for t in get(base + "/api/tools")["tools"]}

        first = wait_for(lambda: (lambda t: t if {"echo", "search", "calculate", "flaky_fetch"} <= t.keys() else None)(tools()),
                         timeout=30, what="the demo's tools to be called")
        wait_for(lambda: tools()["echo"] > first["echo"] and tools()["search"] > first["search"], timeout=30, what="counts to grow")
        report = get(base + "/api/report")
        assert report["session"]["client"]["name"] == "mcpwatch-demo-client" and report["session"]["server"]["name"] == "mcpwatch-demo"
        assert report["overview"]["total_errors"] > 0 or report["overview"]["total_calls"] < 200  # flaky tools fail now and then
        # The demo's rules react within seconds: a slow or flaky tool fires.
        firing = wait_for(lambda: [a for a in get(base + "/api/alerts?state=firing")["active"]], timeout=90, interval=1,
                          what="an alert to fire")
        assert firing[0]["rule"] in ("tool_latency_p95", "tool_success_rate", "error_rate")
        demo.send_signal(signal.SIGINT)
        out, err = demo.communicate(timeout=30)
        assert demo.returncode == 0, err[-2000:]
        assert "calls sent" in out and "proxy exited with status 0" in out
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait(10)

"""Issue 18's "Done when", tried as a new user would: `mcpwatch wrap` on a Claude Desktop configuration with three real
servers (mcp-server-time, the SDK echo server, `mcpwatch demo-server`); each entry started from its argv as the client
starts it, driven, and opened at the one address: all three are there with their tools, explorer and live views.
Then the client quits (everything stops) and starts one server again: the last hour's history of all three is still
there, the stopped ones answered from the store in the live views' shape, the restarted one's charts going on where
they were.

One scenario for the module (a desktop session, then a restart), so the checks share its processes."""
import json
import shutil
import tempfile
import time as clock

import pytest

from conftest import free_port, wait_for
from test_fleet import Client, first_update, http, q
from test_wrap import CALLS, claude_desktop, run

KEYS = ("time", "echo", "demo")


def running(url):
    status, body = http(url + "/api/servers")
    return body if status == 200 else None


def total(series, since=None, until=None):
    """Calls in a series' points, those in [since, until) when given (seconds since the epoch)."""
    from datetime import datetime
    n = 0
    for p in series["points"]:
        t = datetime.fromisoformat(p["time"].replace("Z", "+00:00")).timestamp()
        if (since is None or t >= since) and (until is None or t < until):
            n += p["calls"]
    return n


class Desktop:
    """A Claude Desktop session: the wrapped entries, started and stopped as the client does."""

    def __init__(self, mcpwatch, peers, home):
        self.config, env = claude_desktop(home, mcpwatch, peers)
        wrapped = run(mcpwatch, ["wrap", "claude-desktop"], env)
        assert wrapped.returncode == 0, wrapped.stderr
        self.entries = json.loads(self.config.read_text())["mcpServers"]
        # A short path: a Unix socket's path has at most 107 bytes.
        self.state = tempfile.mkdtemp(prefix="mcpwatch-done-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(env, XDG_STATE_HOME=self.state, MCPWATCH_HTTP_LISTEN=f"127.0.0.1:{self.port}")
        self.env.pop("MCPWATCH_API_KEY", None)
        self.clients = {}

    def start(self, key, calls=3):
        """Starts the entry from its argv (command, args, env of the file), initializes and makes `calls` tool calls."""
        entry = self.entries[key]
        c = Client([entry["command"], *entry.get("args", [])], dict(self.env, **entry.get("env", {})))
        c.initialize()
        tool, arguments = CALLS[key]
        for _ in range(calls):
            answer = c.request("tools/call", {"name": tool, "arguments": arguments})
            assert "result" in answer and not answer["result"].get("isError"), answer
        self.clients[key] = c
        return c

    def quit(self):
        for c in self.clients.values():
            c.stop()


@pytest.fixture(scope="module")
def desktop(mcpwatch, peers, tmp_path_factory):
    d = Desktop(mcpwatch, peers, tmp_path_factory.mktemp("desktop"))
    try:
        for key in KEYS:
            d.start(key)
        d.first = wait_for(lambda: (lambda b: b if b and sorted(s["name"] for s in b["servers"] if s["running"]) == sorted(KEYS) else None)(running(d.url)),
                           timeout=30, what="the three wrapped servers on the one address")
        # The live views of each, through the one address, while the session runs.
        d.live = {}
        for key in KEYS:
            tool = CALLS[key][0]
            status, tools = http(d.url + "/api/tools?method=tools/call&server=" + q(key))
            status_explorer, explored = http(d.url + "/api/explorer/tools?server=" + q(key))
            d.live[key] = {
                "tools": (status, [t["name"] for t in tools["tools"]] if status == 200 else tools),
                "explorer": (status_explorer, [t["name"] for t in explored.get("tools", [])] if status_explorer == 200 else explored),
                "update": first_update(d.url + "/api/stream?server=" + q(key)),
                "series": wait_for(lambda: (lambda s, b: b if s == 200 and total(b) >= 4 else None)(*http(d.url + f"/api/series?range=1h&server={q(key)}")),
                                   timeout=15, what=f"{key}'s calls in its hour of series"),
            }
            assert tool in d.live[key]["tools"][1], d.live[key]
        # The client quits: every server stops. It starts again with one of them.
        d.quit()
        d.restarted_at = clock.time()
        d.start("demo", calls=2)
        d.after = wait_for(lambda: (lambda b: b if b and [s["name"] for s in b["servers"] if s["running"]] == ["demo"]
                                    and sorted(s["name"] for s in b["servers"]) == sorted(KEYS) else None)(running(d.url)),
                           timeout=30, what="demo running again, time and echo listed as stopped")
        yield d
    finally:
        d.quit()
        shutil.rmtree(d.state, ignore_errors=True)


def test_the_three_wrapped_servers_are_on_one_address_with_their_views(desktop):
    by_name = {s["name"]: s for s in desktop.first["servers"]}
    assert sorted(by_name) == sorted(KEYS)
    for key in KEYS:
        s = by_name[key]
        assert s["running"] and s["calls"] >= 4 and s["errors"] == 0 and s["p95_ms"] > 0, s
        live = desktop.live[key]
        assert live["tools"] == (200, [CALLS[key][0]])
        assert live["explorer"][0] == 200 and CALLS[key][0] in live["explorer"][1], live["explorer"]
        assert live["update"]["server_name"] == key and live["update"]["full"] is True
        assert live["series"]["source"] in ("store+live", "live") and live["series"]["resolution"] == "seconds"


def test_after_a_restart_the_stopped_servers_are_answered_from_the_store(desktop):
    url = desktop.url
    by_name = {s["name"]: s for s in desktop.after["servers"]}
    for key in ("time", "echo"):
        tool = CALLS[key][0]
        assert not by_name[key]["running"] and by_name[key]["calls"] >= 4, by_name[key]
        assert by_name[key]["p95_ms"] > 0
        # The live views' shapes, from the store: the report, its tools, one tool, a snapshot, the health.
        status, report = http(url + "/api/report?server=" + q(key))
        assert status == 200 and report["stopped"] is True and report["server_name"] == key, report
        assert report["session"]["server_alive"] is False
        targets = {t["name"]: t for t in report["targets"]}
        assert targets[tool]["calls"] == 3 and targets[tool]["errors"] == 0 and targets[tool]["p95_ms"] > 0
        assert targets["initialize"]["calls"] == 1
        assert report["overview"]["total_calls"] >= 4
        status, tools = http(url + "/api/tools?method=tools/call&server=" + q(key))
        assert status == 200 and [t["name"] for t in tools["tools"]] == [tool]
        status, detail = http(url + "/api/tools/" + q(tool) + "?server=" + q(key))
        assert status == 200 and detail["target"]["calls"] == 3 and sum(p["calls"] for p in detail["series"]) == 3, detail
        status, snapshot = http(url + "/api/snapshot?server=" + q(key))
        assert status == 200 and snapshot["stopped"] is True and tool in [t["name"] for t in snapshot["tools"]]
        status, health = http(url + "/api/health?server=" + q(key))
        assert status == 200 and health["stopped"] is True and "has stopped" in health["summary"]
        # Its last hour of charts, from the store's seconds.
        status, series = http(url + "/api/series?range=1h&server=" + q(key))
        assert status == 200 and series["source"] == "store" and series["resolution"] == "seconds", series
        assert total(series) == report["overview"]["total_calls"]
        status, day = http(url + "/api/series?range=24h&server=" + q(key))
        assert status == 200 and day["resolution"] == "minutes" and day["step_seconds"] == 60 and total(day) == total(series)
        # What only a running server can do says so.
        status, body = http(url + "/api/stream?server=" + q(key))
        assert status == 410 and "has stopped" in body["error"]["message"], body
        status, body = http(url + "/api/explorer/tools?server=" + q(key))
        assert status == 409 and "explorer can only call a running server" in body["error"]["message"], body
        status, body = http(url + "/api/call_tool?server=" + q(key), {"name": tool, "arguments": CALLS[key][1]})
        assert status == 409, body
    # A server the store never saw is still 404.
    status, body = http(url + "/api/report?server=" + q("never ran"))
    assert status == 404, body


def test_the_restarted_servers_charts_go_on_where_they_were(desktop):
    before = desktop.restarted_at

    def series():
        status, body = http(desktop.url + "/api/series?range=1h&server=demo")
        return body if status == 200 and total(body, since=before) >= 3 else None
    s = wait_for(series, timeout=15, what="the restarted demo's own calls in its series")
    assert s["source"] == "store+live", s
    # The first run's calls (initialize, three calls and the explorer's tools/list) from the store, then this run's
    # (initialize and two) from its own memory, each counted once. When the restart follows within the second of the first run's last flush, that
    # second's row shares this run's first bucket (which begins at its start), so the split at `before` is not exact.
    assert total(s) == 5 + 3, [(p["time"], p["calls"]) for p in s["points"] if p["calls"]]
    assert total(s, since=before) >= 3
    times = [p["time"] for p in s["points"]]
    assert times == sorted(times) and len(set(times)) == len(times)
    # Its p95 over the window comes from both runs' histograms summed in the store, as a stopped server's does.
    (demo,) = [x for x in desktop.after["servers"] if x["name"] == "demo"]
    assert demo["running"] and demo["p95_ms"] > 0


def test_the_dashboard_opened_on_a_stopped_server_shows_its_figures(desktop):
    from test_dashboard import By, SHOTS, _make_driver, _require_browser, console_errors, screenshot, text_of
    _require_browser()
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver = _make_driver()
    try:
        driver.get(desktop.url + "/?server=time#/overview")
        wait_for(lambda: driver.find_element(By.ID, "live-indicator").get_attribute("data-state") == "stopped",
                 timeout=20, interval=0.2, what="the live indicator to say stopped")
        assert "stopped" in driver.find_element(By.ID, "live-indicator").text.lower()
        wait_for(lambda: text_of(driver, "#server-name") == "time", timeout=15, interval=0.2, what="its name in the top bar")
        assert "has stopped" in text_of(driver, "#banner")
        # The 24 h range, from the store.
        driver.find_element(By.CSS_SELECTOR, '#overview-range button[data-range="86400"]').click()
        wait_for(lambda: driver.find_element(By.CSS_SELECTOR, '#overview-range button[data-range="86400"]').get_attribute("aria-pressed") == "true",
                 timeout=5, interval=0.1, what="the 24 h range picked")
        screenshot(driver, "stopped-server-overview")
        driver.execute_script("location.hash = '#/tools'")
        wait_for(lambda: "get_current_time" in [r.get_attribute("data-tool") for r in driver.find_elements(By.CSS_SELECTOR, "#tools-table tbody tr[data-tool]")],
                 timeout=15, interval=0.2, what="its tool in the tools table")
        driver.execute_script("location.hash = '#/explorer'")
        wait_for(lambda: "running server" in driver.find_element(By.ID, "main").text, timeout=15, interval=0.2,
                 what="the explorer to say it can only call a running server")
        # The refusals are shown, not thrown: the console's errors are only the requests the page expected to fail
        # (the stream's 410, the explorer's 409, the system's 410).
        errors = [e for e in console_errors(driver) if not any(f"api/{p}?server=time - Failed to load resource" in e["message"]
                                                               for p in ("stream", "explorer/tools", "system"))]
        assert not errors, errors
    finally:
        driver.quit()

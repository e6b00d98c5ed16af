"""One address for the fleet (issue 18, item 4): three proxies started as a desktop client starts them, with default
options, each serving its API on a Unix socket of its own; whichever holds the well-known address is the front door
for all three, and another takes the address over when it exits. Each test has its own state folder
(XDG_STATE_HOME) and its own "well-known" address (MCPWATCH_HTTP_LISTEN), so that tests never meet each other."""
import json
import os
import pathlib
import signal
import stat
import subprocess
import shutil
import sys
import tempfile
import time as clock
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import free_port, wait_for


def http(url, body=None, timeout=10, headers=None):
    data = None if body is None else json.dumps(body).encode()
    h = dict(headers or {})
    if data is not None:
        h.update({"Content-Type": "application/json", "X-MCPWatch-Request": "1"})
    request = urllib.request.Request(url, data=data, headers=h)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw[:1] in (b"{", b"[") else raw)
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, (json.loads(raw) if raw[:1] == b"{" else raw)
    except OSError:
        return None, None


def q(name):
    return urllib.parse.quote(name, safe="")


def first_update(url, timeout=20):
    """The first `update` event of a dashboard stream."""
    event = None
    with urllib.request.urlopen(url, timeout=timeout) as r:
        assert r.headers["Content-Type"] == "text/event-stream"
        for raw in r:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "update":
                return json.loads(line[6:])
    pytest.fail("the stream ended before an update")


class Client:
    """A stdio client, line by line: `mcpwatch proxy -- SERVER` with default options, as a desktop client starts it."""

    def __init__(self, argv, env):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.next_id = 1

    def request(self, method, params=None):
        i = self.next_id
        self.next_id += 1
        self.proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": i, "method": method, "params": params or {}}).encode() + b"\n")
        self.proc.stdin.flush()
        while True:
            line = self.proc.stdout.readline()
            assert line, "the proxy closed its output"
            message = json.loads(line)
            if message.get("id") == i:
                return message

    def initialize(self):
        answer = self.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                             "clientInfo": {"name": "fleet-test", "version": "1"}})
        self.proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        self.proc.stdin.flush()
        return answer["result"]["serverInfo"]["name"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


class Fleet:
    def __init__(self, mcpwatch, peers, tmp_path):
        self.mcpwatch, self.peers = mcpwatch, peers
        # A short path: a Unix socket's path has at most 107 bytes, and pytest's tmp_path can be longer than that.
        self.state = pathlib.Path(tempfile.mkdtemp(prefix="mcpwatch-fleet-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, XDG_STATE_HOME=str(self.state), MCPWATCH_HTTP_LISTEN=f"127.0.0.1:{self.port}")
        self.env.pop("MCPWATCH_API_KEY", None)
        self.clients = []
        self.others = []

    @property
    def run_folder(self):
        return self.state / "mcpwatch" / "run"

    def start(self, *server, name=None, tool=None):
        argv = [self.mcpwatch, "proxy"] + (["--name", name] if name else []) + ["--", *server]
        c = Client(argv, self.env)
        self.clients.append(c)
        c.server_info_name = c.initialize()
        c.name = name or c.server_info_name
        if tool:
            for _ in range(3):
                assert "result" in c.request("tools/call", {"name": tool[0], "arguments": tool[1]})
        return c

    def start_three(self):
        demo = self.start(self.mcpwatch, "demo-server", tool=("echo", {"text": "hi"}))
        echo = self.start(sys.executable, self.peers["echo_server"], tool=("echo", {"text": "hi"}))
        time = self.start(self.peers["time_server"], tool=("get_current_time", {"timezone": "UTC"}))
        return demo, echo, time

    def servers(self, url=None):
        status, body = http((url or self.url) + "/api/servers")
        return body if status == 200 else None

    def wait_for_names(self, names, url=None):
        """Polls /api/servers until the servers it lists as running are exactly `names` (servers that have stopped
        stay listed from the store, not running)."""
        def listed():
            body = self.servers(url)
            if body and sorted(s["name"] for s in body["servers"] if s["running"]) == sorted(names):
                return body
            return None
        return wait_for(listed, timeout=20, what=f"/api/servers to list {sorted(names)}")

    def stop(self):
        for c in self.clients:
            c.stop()
        for p in self.others:
            if p.poll() is None:
                p.terminate()
                p.wait(10)


@pytest.fixture
def fleet(mcpwatch, peers, tmp_path):
    f = Fleet(mcpwatch, peers, tmp_path)
    yield f
    f.stop()
    shutil.rmtree(f.state, ignore_errors=True)


def test_three_servers_on_one_address_each_with_its_views(fleet):
    demo, echo, time = fleet.start_three()
    assert (demo.name, echo.name, time.name) == ("mcpwatch-demo", "echo-peer", "mcp-time")
    body = fleet.wait_for_names([demo.name, echo.name, time.name])
    by_name = {s["name"]: s for s in body["servers"]}
    for c in (demo, echo, time):
        server = by_name[c.name]
        assert [i["pid"] for i in server["instances"]] == [c.proc.pid]
        assert server["instances"][0]["mode"] == "stdio" and server["instances"][0]["running"]
        assert server["calls_total"] >= 3 and server["errors"] == 0 and server["p95_ms"] > 0
    front = body["front_door"]
    assert front in {c.proc.pid for c in (demo, echo, time)}

    tools = {demo.name: "echo", echo.name: "echo", time.name: "get_current_time"}
    args = {demo.name: {"text": "x"}, echo.name: {"text": "x"}, time.name: {"timezone": "UTC"}}
    for c in (demo, echo, time):
        # The report, the tools and the live stream of that server, answered by its own process.
        status, report = http(fleet.url + "/api/report?server=" + q(c.name))
        assert status == 200 and report["server_name"] == c.name, report
        assert report["session"]["server_pid"] in [p for p in _children(c.proc.pid)], report["session"]
        status, listed = http(fleet.url + "/api/tools?server=" + q(c.name) + "&method=tools/call")
        assert status == 200 and [t["name"] for t in listed["tools"]] == [tools[c.name]]
        update = first_update(fleet.url + "/api/stream?server=" + q(c.name))
        assert update["server_name"] == c.name and update["full"] is True
        # The explorer: the tools the server lists, and a call made on the client's session.
        status, explored = http(fleet.url + "/api/explorer/tools?server=" + q(c.name))
        assert status == 200 and tools[c.name] in [t["name"] for t in explored["tools"]], explored
        status, call = http(fleet.url + "/api/call_tool?server=" + q(c.name), {"name": tools[c.name], "arguments": args[c.name]})
        assert status == 200 and call["outcome"] == "ok", call
        # It was measured where it happened: that server's own process counted it.
        status, report = http(fleet.url + "/api/tools/" + q(tools[c.name]) + "?server=" + q(c.name))
        assert status == 200 and report["target"]["calls"] >= 4, report

    # Without server=, the front door's endpoints mean its own server, as before.
    own = next(c for c in (demo, echo, time) if c.proc.pid == front)
    status, report = http(fleet.url + "/api/report")
    assert status == 200 and report["server_name"] == own.name
    status, body = http(fleet.url + "/api/report?server=" + q("no such server"))
    assert status == 404 and "no such server" in body["error"]["message"]
    # /metrics stays each process's own: one server's series only.
    status, metrics = http(fleet.url + "/metrics?server=" + q(next(c for c in (demo, echo, time) if c is not own).name))
    assert status == 200 and f'server="{own.name}"'.encode() in metrics
    assert not any(f'server="{c.name}"'.encode() in metrics for c in (demo, echo, time) if c is not own)


def _children(pid):
    out = []
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return out


def test_the_socket_folder_is_private_and_files_are_named_by_pid(fleet):
    hostile = '../../x"<img src=x onerror=alert(1)>&server=y/é'
    c = fleet.start(sys.executable, fleet.peers["echo_server"], name=hostile, tool=("echo", {"text": "hi"}))
    body = fleet.wait_for_names([hostile])
    assert body["servers"][0]["instances"][0]["command"][-1] == fleet.peers["echo_server"]
    for folder in (fleet.run_folder, fleet.run_folder.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert sorted(p.name for p in fleet.run_folder.iterdir()) == [f"{c.proc.pid}.json", f"{c.proc.pid}.sock"]
    description = json.loads((fleet.run_folder / f"{c.proc.pid}.json").read_text())
    assert description["name"] == hostile and description["pid"] == c.proc.pid and description["mode"] == "stdio"
    assert stat.S_ISSOCK((fleet.run_folder / f"{c.proc.pid}.sock").stat().st_mode)
    status, report = http(fleet.url + "/api/report?server=" + q(hostile))
    assert status == 200 and report["server_name"] == hostile
    # Gone with the proxy.
    c.stop()
    assert list(fleet.run_folder.iterdir()) == []


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_another_proxy_takes_over_when_the_front_door_exits(fleet, how):
    three = fleet.start_three()
    body = fleet.wait_for_names([c.name for c in three])
    front = next(c for c in three if c.proc.pid == body["front_door"])
    rest = [c for c in three if c is not front]
    front.proc.send_signal(how)
    front.proc.wait(15)  # reaped, as a client reaps the servers it started

    def taken_over():
        b = fleet.servers()
        return b if b and b["front_door"] != front.proc.pid and sorted(s["name"] for s in b["servers"] if s["running"]) == sorted(c.name for c in rest) else None
    body = wait_for(taken_over, timeout=15, what="another proxy to serve the address with the rest of the fleet")
    assert body["front_door"] in {c.proc.pid for c in rest}
    # The exited one is still known, from the store, as stopped.
    assert [s["running"] for s in body["servers"] if s["name"] == front.name] == [False], body
    # Every remaining server's views still answer through the one address.
    for c in rest:
        status, report = http(fleet.url + "/api/report?server=" + q(c.name))
        assert status == 200 and report["server_name"] == c.name
    # The killed proxy left no entry behind once the fleet was scanned.
    assert not (fleet.run_folder / f"{front.proc.pid}.sock").exists()
    assert not (fleet.run_folder / f"{front.proc.pid}.json").exists()


def test_mcpwatch_dashboard_serves_the_fleet_without_relaying(fleet):
    demo = fleet.start(fleet.mcpwatch, "demo-server", tool=("echo", {"text": "hi"}))
    time = fleet.start(fleet.peers["time_server"], tool=("get_current_time", {"timezone": "UTC"}))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    dashboard = subprocess.Popen([fleet.mcpwatch, "dashboard", "--listen", f"127.0.0.1:{port}"], env=fleet.env,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    fleet.others.append(dashboard)
    body = fleet.wait_for_names([demo.name, time.name], url=url)
    assert body["front_door"] == dashboard.pid
    # It is no server of the fleet: no socket of its own.
    assert not (fleet.run_folder / f"{dashboard.pid}.sock").exists()
    status, page = http(url + "/")
    assert status == 200 and b"assets/fleet.js" in page
    status, script = http(url + "/assets/fleet.js")
    assert status == 200 and b"mcpwatchFleet" in script
    for c, tool in ((demo, "echo"), (time, "get_current_time")):
        status, report = http(url + "/api/report?server=" + q(c.name))
        assert status == 200 and report["server_name"] == c.name
        assert [t["name"] for t in report["targets"] if t["method"] == "tools/call"] == [tool]
    # Without server=, the server that started last.
    status, report = http(url + "/api/report")
    assert status == 200 and report["server_name"] == time.name
    # The cross-site guard is the front door's: another site's page cannot read the fleet.
    status, _ = http(url + "/api/servers", headers={"Host": "evil.example"})
    assert status in (403, 421)
    demo.stop()
    time.stop()
    # Nothing runs now; the store still knows both servers, as stopped, with their calls.
    body = wait_for(lambda: (lambda b: b if b is not None and b["servers"] and not any(s["running"] for s in b["servers"])
                             else None)(fleet.servers(url)), timeout=20, what="a fleet with nothing running")
    assert sorted(s["name"] for s in body["servers"]) == sorted([demo.name, time.name])
    assert all(s["calls"] >= 3 for s in body["servers"]), body
    status, body = http(url + "/api/report")
    assert status == 503, body
    dashboard.send_signal(signal.SIGTERM)
    assert dashboard.wait(15) == 0


def test_a_stopped_server_stays_in_the_fleet_from_the_store(fleet):
    """A desktop client quits and starts again: the server that has not come back is listed as stopped, with its
    calls and instance from the store, and its call log is answered through the front door."""
    gone = fleet.start(fleet.mcpwatch, "demo-server", name="gone", tool=("echo", {"text": "hi"}))
    gone.stop()
    back = fleet.start(fleet.peers["time_server"], tool=("get_current_time", {"timezone": "UTC"}))
    body = fleet.wait_for_names([back.name])
    stopped = [s for s in body["servers"] if s["name"] == "gone"]
    assert len(stopped) == 1 and not stopped[0]["running"], body
    assert stopped[0]["calls"] == 4  # initialize and three tools/call
    (instance,) = stopped[0]["instances"]
    assert instance["pid"] == gone.proc.pid and not instance["running"] and instance["ended_at"]
    status, calls = http(fleet.url + "/api/calls?server=gone&method=tools/call")
    assert status == 200, calls
    assert [c["target"] for c in calls["calls"] if c["method"] == "tools/call"] == ["echo"] * 3


def test_the_dashboard_opens_on_the_fleet_and_each_row_opens_that_server(fleet):
    from test_dashboard import By, SHOTS, _make_driver, _require_browser, assert_no_console_errors, screenshot, text_of, wait_live
    _require_browser()
    SHOTS.mkdir(parents=True, exist_ok=True)
    demo = fleet.start(fleet.mcpwatch, "demo-server", tool=("echo", {"text": "hi"}))
    time = fleet.start(fleet.peers["time_server"], tool=("get_current_time", {"timezone": "UTC"}))
    hostile = '<img src=x onerror="document.title=1">&server=x'
    fleet.start(sys.executable, fleet.peers["echo_server"], name=hostile, tool=("echo", {"text": "hi"}))
    fleet.wait_for_names([demo.name, time.name, hostile])
    driver = _make_driver()
    try:
        driver.get(fleet.url + "/")
        wait_for(lambda: driver.execute_script("return location.hash") == "#/fleet", timeout=20, interval=0.2,
                 what="the dashboard to open on the fleet")
        rows = lambda: [r.get_attribute("data-server") for r in driver.find_elements(By.CSS_SELECTOR, "#fleet-rows tr")]
        wait_for(lambda: sorted(rows()) == sorted([demo.name, time.name, hostile]), timeout=20, interval=0.2, what="three rows")
        # The hostile name is text, not markup.
        assert driver.find_elements(By.CSS_SELECTOR, "#fleet-rows img") == []
        assert hostile in [c.text for c in driver.find_elements(By.CSS_SELECTOR, "#fleet-rows td.name")]
        assert driver.find_element(By.ID, "nav-fleet").is_displayed()
        screenshot(driver, "fleet-overview")
        assert_no_console_errors(driver, "the fleet overview")
        # A row opens that server's own views, live, through the front door.
        for name in (time.name, hostile):
            row = next(r for r in driver.find_elements(By.CSS_SELECTOR, "#fleet-rows tr") if r.get_attribute("data-server") == name)
            row.find_element(By.CSS_SELECTOR, "a").click()
            wait_for(lambda: "server=" in driver.current_url, timeout=10, interval=0.2, what="the server's page")
            wait_live(driver)
            wait_for(lambda: text_of(driver, "#server-name") == name, timeout=15, interval=0.2, what="its name in the top bar")
            assert driver.title == name + " · mcpwatch"  # the onerror handler never ran
            # Its tools and its explorer, from its own process.
            expected = "get_current_time" if name == time.name else "echo"
            driver.execute_script("location.hash = '#/tools'")
            wait_for(lambda: expected in [r.get_attribute("data-tool") for r in driver.find_elements(By.CSS_SELECTOR, "#tools-table tbody tr[data-tool]")],
                     timeout=15, interval=0.2, what=f"{expected} in the tools table")
            driver.execute_script("location.hash = '#/explorer'")
            wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, f'#explorer-tool-list button[data-tool="{expected}"]'),
                     timeout=30, interval=0.2, what=f"{expected} in the explorer")
            assert_no_console_errors(driver, f"the views of {name}")
            driver.get(fleet.url + "/#/fleet")
            wait_for(lambda: len(rows()) == 3, timeout=20, interval=0.2, what="the fleet again")
    finally:
        driver.quit()


def test_the_api_key_guards_every_server_on_the_front_door(fleet):
    fleet.env["MCPWATCH_API_KEY"] = "fleet-key"
    demo = fleet.start(fleet.mcpwatch, "demo-server", tool=("echo", {"text": "hi"}))
    time = fleet.start(fleet.peers["time_server"], tool=("get_current_time", {"timezone": "UTC"}))
    key = {"X-API-Key": "fleet-key"}
    assert http(fleet.url + "/api/servers")[0] == 401
    body = wait_for(lambda: (lambda s, b: b if s == 200 and len(b["servers"]) == 2 else None)(*http(fleet.url + "/api/servers", headers=key)),
                    timeout=20, what="two servers")
    other = next(c for c in (demo, time) if c.proc.pid != body["front_door"])
    assert http(fleet.url + "/api/report?server=" + q(other.name))[0] == 401
    status, report = http(fleet.url + "/api/report?server=" + q(other.name), headers=key)
    assert status == 200 and report["server_name"] == other.name
    # An acting request must still say so, whichever server it is for.
    request = urllib.request.Request(fleet.url + "/api/call_tool?server=" + q(other.name), data=b'{"name":"x","arguments":{}}',
                                     headers=dict(key, **{"Content-Type": "application/json"}))
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403


def test_mcpwatch_dashboard_waits_for_the_address_and_outlives_the_clients(fleet):
    first = fleet.start(fleet.mcpwatch, "demo-server", tool=("echo", {"text": "hi"}))
    fleet.wait_for_names([first.name])
    dashboard = subprocess.Popen([fleet.mcpwatch, "dashboard"], env=fleet.env, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    fleet.others.append(dashboard)
    # The proxy is the front door; the dashboard says it waits for the address.
    said = _line_with(dashboard.stderr, b"trying again every second")
    assert b"cannot serve HTTP on 127.0.0.1:" in said
    assert fleet.servers()["front_door"] == first.proc.pid
    first.stop()  # the client quits
    wait_for(lambda: (lambda b: b if b and b["front_door"] == dashboard.pid and not any(s["running"] for s in b["servers"]) else None)(fleet.servers()),
             timeout=20, what="the dashboard to take the address over")
    # The client starts its server again: the dashboard shows it, and answers for it.
    again = fleet.start(fleet.peers["time_server"], tool=("get_current_time", {"timezone": "UTC"}))
    fleet.wait_for_names([again.name])
    status, report = http(fleet.url + "/api/report")
    assert status == 200 and report["server_name"] == again.name
    dashboard.send_signal(signal.SIGTERM)
    assert dashboard.wait(15) == 0


def _line_with(stream, text, timeout=20):
    """Reads lines from `stream` until one holds `text` (the test fails at the deadline)."""
    import selectors
    deadline = clock.monotonic() + timeout
    sel = selectors.DefaultSelector()
    sel.register(stream, selectors.EVENT_READ)
    while clock.monotonic() < deadline:
        if sel.select(max(0.0, deadline - clock.monotonic())):
            line = stream.readline()
            if not line:
                break
            if text in line:
                return line
    pytest.fail(f"no line with {text!r} within {timeout} s")

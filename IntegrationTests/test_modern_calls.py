"""MCP 2026-07-28 calls that are more than one round trip (issue 17, items 3 to 6), with the official Python SDK 2.3
`Client` and an SDK 2.3 server (modern_calls_server.py), through the stdio relay and the reverse proxy:

- a tool that asks for input through `input_required` (the SDK's elicitation callback answers it) is measured as one
  logical call of two rounds;
- a task is polled to completion (`tasks/get`), measured from the request to its terminal status, its polls counted
  as polls and not as tool calls;
- a `subscriptions/listen` stream receives `notifications/tools/list_changed` and closes: a stream, never a call in
  flight, never lost;
- (reverse proxy) a POST whose `Mcp-Name` disagrees with its body is relayed unchanged and counted as an anomaly, and
  the server's `-32020` is named `header_mismatch`;
- (reverse proxy) a 2025-11-25 client's standalone GET stream is a stream too.
Results are compared with a direct connection to the same server.
"""
import json
import pathlib
import subprocess

from conftest import free_port, read_report, stop, wait_for
from test_dashboard import By, WebDriverException, _make_driver, _require_browser
from test_http_proxy import get, port_open, post

SERVER = str(pathlib.Path(__file__).parent / "modern_calls_server.py")

CLIENT = r"""
import anyio, json, sys
from typing import Any, Literal
from pydantic import TypeAdapter
from mcp import Client, StdioServerParameters
from mcp.client.extension import ClaimContext, ClientExtension, ResultClaim
from mcp_types import CallToolResult, ElicitResult, Request, RequestParams, Result

target = json.loads(sys.argv[1])
RAW = TypeAdapter(dict[str, Any])


class TaskResult(Result):
    result_type: Literal["task"]
    taskId: str
    status: str


class GetTaskParams(RequestParams):
    taskId: str


class GetTask(Request[GetTaskParams, Literal["tasks/get"]]):
    method: Literal["tasks/get"] = "tasks/get"
    params: GetTaskParams


polls = 0


async def resolve(task: TaskResult, ctx: ClaimContext) -> CallToolResult:
    # The tasks extension's client side: poll tasks/get until the task ends.
    global polls
    while True:
        polls += 1
        raw = await ctx.session.send_request(GetTask(params=GetTaskParams(taskId=task.taskId)), RAW)
        if raw["status"] in ("completed", "failed", "cancelled"):
            return CallToolResult.model_validate(raw["result"])
        await anyio.sleep(raw.get("pollIntervalMs", 10) / 1000)


class Tasks(ClientExtension):
    identifier = "io.modelcontextprotocol/tasks"

    def claims(self):
        return [ResultClaim(result_type="task", model=TaskResult, resolve=resolve)]


elicited = 0


async def elicit(context, params):
    global elicited
    elicited += 1
    return ElicitResult(action="accept", content={"ok": True})


async def main():
    server = target if isinstance(target, str) else StdioServerParameters(command=target[0], args=target[1:])
    out = {}
    with anyio.fail_after(60):
        async with Client(server, mode="2026-07-28", elicitation_callback=elicit, extensions=[Tasks()]) as client:
            out["version"] = client.protocol_version
            out["confirm"] = (await client.call_tool("confirm", {"item": "the file"})).content[0].text
            out["elicited"] = elicited
            out["long_job"] = (await client.call_tool("long_job", {"steps": 3})).content[0].text
            out["polls"] = polls
            async with client.listen(tools_list_changed=True) as sub:
                await client.call_tool("add_tool", {})
                async for event in sub:
                    out["event"] = type(event).__name__
                    break
    print(json.dumps(out))

anyio.run(main)
"""

EXPECTED = {"version": "2026-07-28", "confirm": "the file: confirmed", "elicited": 1, "long_job": "done after 3 steps",
            "polls": 4, "event": "ToolsListChanged"}


def run_client(python, target):
    out = subprocess.run([python, "-c", CLIENT, json.dumps(target)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def target(report, name):
    found = [t for t in report["targets"] if t["name"] == name]
    assert found, f"no target {name} in {[t['name'] for t in report['targets']]}"
    return found[0]


def check_logical_calls(report):
    confirm = target(report, "confirm")
    # Two round trips, recorded as before: the first answered input_required (neither ok nor an error).
    assert confirm["calls"] == 2
    assert confirm["outcomes"]["input_required"] == 1 and confirm["outcomes"]["ok"] == 1
    assert confirm["errors"] == 0 and confirm["success_rate"] == 100
    # One logical call of two rounds, whose duration covers both and the wait between them.
    logical = confirm["logical"]
    assert (logical["calls"], logical["multi_round_calls"], logical["rounds"], logical["max_rounds"]) == (1, 1, 2, 2)
    assert logical["client_wait_ms"] > 0
    assert logical["latency"]["max_ms"] >= confirm["max_ms"]

    job = target(report, "long_job")
    assert job["calls"] == 1 and job["outcomes"]["task"] == 1 and job["errors"] == 0
    assert (job["logical"]["calls"], job["logical"]["task_calls"], job["logical"]["polls"]) == (1, 1, 4)
    assert job["logical"]["errors"] == 0
    # The polls are tasks/get round trips, not tool calls.
    polls = target(report, "tasks/get")
    assert polls["calls"] == 4 and polls["method"] == "tasks/get"
    assert job["logical"]["latency"]["max_ms"] >= job["max_ms"]


def check_stream(report, reasons):
    streams = report["overview"]["streams"]
    assert streams["opened"] == 1 and streams["open"] == 0
    assert sum(streams["closed"].values()) == 1 and set(streams["closed"]) <= reasons, streams
    assert streams["notifications"]["notifications/tools/list_changed"] == 1
    assert streams["kinds"][0]["kind"] == "subscriptions/listen"
    assert not [t for t in report["targets"] if t["method"] == "subscriptions/listen"]
    assert report["overview"]["outcomes"]["lost"] == 0
    assert report["overview"]["in_flight"] == 0


def test_stdio_relay_measures_logical_calls_tasks_and_streams(mcpwatch, peers, tmp_path):
    python = peers["sdk2_python"]
    direct = run_client(python, [python, SERVER])
    assert direct == EXPECTED
    report_file = tmp_path / "report.json"
    proxied = run_client(python, [mcpwatch, "proxy", "--no-http", "--report-file", str(report_file), "--", python, SERVER])
    assert proxied == direct
    report = read_report(report_file)
    assert report["session"]["protocol_version"] == "2026-07-28"
    check_logical_calls(report)
    # Over stdio the SDK's client leaves the stream open until it closes its side; its server then answers the listen
    # request with -32000 "Connection closed": the stream's end, not a failed call.
    check_stream(report, {"error"})
    assert report["overview"]["total_errors"] == 0


def test_reverse_proxy_measures_logical_calls_tasks_streams_and_header_mismatches(mcpwatch, peers):
    python = peers["sdk2_python"]
    upstream_port, serve_port, listen_port = free_port(), free_port(), free_port()
    upstream = subprocess.Popen([python, SERVER, "--port", str(upstream_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proxy = subprocess.Popen([mcpwatch, "proxy", "--upstream", f"http://127.0.0.1:{upstream_port}/mcp", "--serve-http",
                              f"127.0.0.1:{serve_port}", "--listen", f"127.0.0.1:{listen_port}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for port in (upstream_port, serve_port, listen_port):
            wait_for(lambda: port_open(port), 30, what=f"port {port}")
        direct = run_client(python, f"http://127.0.0.1:{upstream_port}/mcp")
        assert direct == EXPECTED
        proxied = run_client(python, f"http://127.0.0.1:{serve_port}/mcp")
        assert proxied == direct

        def report():
            return json.loads(get(f"http://127.0.0.1:{listen_port}/api/report"))

        # The client closed the listen stream's HTTP response; mcpwatch sees it end when the relay's write fails or
        # the upstream ends the response.
        wait_for(lambda: (report()["overview"].get("streams") or {}).get("open") == 0, 30, what="the listen stream's end")
        first = report()
        check_logical_calls(first)
        check_stream(first, {"client", "transport"})

        # A body that names another tool than its Mcp-Name header: relayed unchanged (the server refuses it with
        # -32020), counted as an anomaly, and the error named for the revision in use.
        body = json.dumps({"jsonrpc": "2.0", "id": 99, "method": "tools/call", "params": {
            "name": "add_tool", "arguments": {}, "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientInfo": {"name": "raw", "version": "1"},
                "io.modelcontextprotocol/clientCapabilities": {}}}}).encode()
        headers = {"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "confirm"}
        direct_answer = post(f"http://127.0.0.1:{upstream_port}/mcp", body, headers)
        proxied_answer = post(f"http://127.0.0.1:{serve_port}/mcp", body, headers)
        assert proxied_answer[0] == direct_answer[0] == 400
        assert json.loads(proxied_answer[2]) == json.loads(direct_answer[2])
        assert json.loads(proxied_answer[2])["error"]["code"] == -32020
        after = report()
        assert after["anomalies"]["by_kind"]["header_name_mismatch"] == 1
        assert target(after, "add_tool")["error_types"] == {"header_mismatch": 1}
        assert target(after, "add_tool")["client_errors"] == 1
        metrics = get(f"http://127.0.0.1:{listen_port}/metrics")
        assert 'kind="header_name_mismatch"} 1' in metrics
        assert 'mcpwatch_logical_call_rounds_total{server="modern-calls-peer",network_transport="tcp",mcp_method_name="tools/call",gen_ai_tool_name="confirm"} 2' in metrics
        assert 'mcpwatch_streams_opened_total{server="modern-calls-peer",network_transport="tcp",stream="subscriptions/listen"} 1' in metrics
        # The new families pass Prometheus's own linter.
        check = subprocess.run(["promtool", "check", "metrics"], input=metrics.encode(), capture_output=True, timeout=30)
        assert check.returncode == 0, check.stdout.decode() + check.stderr.decode()

        # The dashboard's tools table shows the logical latency beside the round trips'.
        _require_browser()
        driver = _make_driver()
        try:
            driver.get(f"http://127.0.0.1:{listen_port}/#/tools")
            cell = '#tools-table tr[data-tool="confirm"][data-method="tools/call"] td.logical-p95-ms'

            def shown():
                try:
                    return driver.find_element(By.CSS_SELECTOR, cell).text
                except WebDriverException:
                    return ""

            assert "2.0 rounds" in wait_for(lambda: "rounds" in shown() and shown(), 30, interval=0.2, what="the logical column")
            title = driver.find_element(By.CSS_SELECTOR, cell).get_attribute("title")
            assert "1 logical calls (1 of several rounds, 0 tasks)" in title
            job = driver.find_element(By.CSS_SELECTOR, '#tools-table tr[data-tool="long_job"] td.logical-p95-ms')
            assert "1.0 rounds" in job.text and "1 tasks" in job.get_attribute("title")
            assert "client's mistakes 1" in driver.find_element(By.CSS_SELECTOR, '#tools-table tr[data-tool="add_tool"] td.errors').get_attribute("title")
        finally:
            driver.quit()
    finally:
        stop(proxy, upstream)


LEGACY_CLIENT = r"""
import anyio, sys
from mcp import Client

async def main():
    with anyio.fail_after(60):
        async with Client(sys.argv[1], mode="legacy") as client:
            print(sorted(t.name for t in (await client.list_tools()).tools))

anyio.run(main)
"""


def test_reverse_proxy_measures_the_legacy_get_stream_as_a_stream(mcpwatch, peers):
    """A 2025-11-25 client opens the standalone GET stream after `initialize`: a stream that ends with the session."""
    python = peers["sdk2_python"]
    upstream_port, serve_port, listen_port = free_port(), free_port(), free_port()
    upstream = subprocess.Popen([python, SERVER, "--port", str(upstream_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proxy = subprocess.Popen([mcpwatch, "proxy", "--upstream", f"http://127.0.0.1:{upstream_port}/mcp", "--serve-http",
                              f"127.0.0.1:{serve_port}", "--listen", f"127.0.0.1:{listen_port}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for port in (upstream_port, serve_port, listen_port):
            wait_for(lambda: port_open(port), 30, what=f"port {port}")
        out = subprocess.run([python, "-c", LEGACY_CLIENT, f"http://127.0.0.1:{serve_port}/mcp"],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-3000:]

        def streams():
            return json.loads(get(f"http://127.0.0.1:{listen_port}/api/report"))["overview"].get("streams") or {}

        wait_for(lambda: streams().get("opened") == 1 and streams().get("open") == 0, 30, what="the GET stream's end")
        report = json.loads(get(f"http://127.0.0.1:{listen_port}/api/report"))
        assert report["session"]["protocol_version"] == "2025-11-25"
        assert [k["kind"] for k in report["overview"]["streams"]["kinds"]] == ["GET"]
        assert set(report["overview"]["streams"]["closed"]) <= {"client", "transport"}
        assert report["overview"]["outcomes"]["lost"] == 0 and report["overview"]["in_flight"] == 0
        assert sorted(t["name"] for t in report["targets"]) == ["initialize", "tools/list"]
    finally:
        stop(proxy, upstream)

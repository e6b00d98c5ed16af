"""The dashboard's explorer and live stream with a real client and server: the official Python SDK as the client,
`mcp-server-time` as the server, mcpwatch in between sending its own tools/list and tools/call on the same session."""
import json
import urllib.error
import urllib.request

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from conftest import free_port, wait_for


def http(url, body=None, timeout=30):
    data = None if body is None else json.dumps(body).encode()
    # A POST that acts must say it is JSON and carry X-MCPWatch-Request (cross-site protection), as the dashboard does.
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", "X-MCPWatch-Request": "1"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def answers(url):
    try:
        return http(url, timeout=2)[0]
    except OSError:
        return None


def read_stream(url, events, timeout=30):
    """The first `events` Server-Sent Events of a stream, as (event, data) pairs."""
    out, event, data = [], None, []
    with urllib.request.urlopen(url, timeout=timeout) as r:
        assert r.headers["Content-Type"] == "text/event-stream"
        for raw in r:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
            elif line == "" and data:
                out.append((event, json.loads("\n".join(data))))
                event, data = None, []
                if len(out) == events:
                    return out
    return out


def test_explorer_calls_tools_on_the_clients_session_without_disturbing_it(mcpwatch, peers):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    params = StdioServerParameters(command=mcpwatch, args=["proxy", "--listen", f"127.0.0.1:{port}", "--", peers["time_server"]])

    async def run():
        with anyio.fail_after(120):
            async with stdio_client(params) as (r, w), ClientSession(r, w) as s:
                # Before the client initializes, the explorer has no session to use, and says so.
                await anyio.to_thread.run_sync(lambda: wait_for(lambda: answers(base + "/api/health"), timeout=30,
                                                                what="the API"))
                status, body = await anyio.to_thread.run_sync(lambda: http(base + "/api/explorer/tools"))
                assert status == 503 and "initialized" in body["error"]["message"], body
                await s.initialize()
                results = {}

                async def client_calls():
                    for i in range(20):
                        res = await s.call_tool("get_current_time", {"timezone": "Europe/Paris"})
                        results[i] = json.loads(res.content[0].text)["timezone"]

                async def explorer_calls():
                    status, tools = await anyio.to_thread.run_sync(lambda: http(base + "/api/explorer/tools"))
                    assert status == 200, tools
                    results["tools"] = sorted(t["name"] for t in tools["tools"])
                    results["schema"] = next(t for t in tools["tools"] if t["name"] == "convert_time")["inputSchema"]
                    for _ in range(3):
                        status, call = await anyio.to_thread.run_sync(
                            lambda: http(base + "/api/call_tool", {"name": "get_current_time", "arguments": {"timezone": "UTC"}}))
                        assert status == 200, call
                        results.setdefault("explorer", []).append(call)
                    status, call = await anyio.to_thread.run_sync(
                        lambda: http(base + "/api/call_tool", {"name": "get_current_time", "arguments": {"timezone": "Nowhere/City"}}))
                    results["bad"] = call

                # The client's calls and the explorer's run at the same time on the one session.
                async with anyio.create_task_group() as tg:
                    tg.start_soon(client_calls)
                    tg.start_soon(explorer_calls)
                # The client still works after it, and saw nothing it did not ask for.
                tools = await s.list_tools()
                assert {t.name for t in tools.tools} == {"get_current_time", "convert_time"}
                return results

    results = anyio.run(run)
    assert [results[i] for i in range(20)] == ["Europe/Paris"] * 20
    assert results["tools"] == ["convert_time", "get_current_time"]
    assert set(results["schema"]["required"]) == {"source_timezone", "time", "target_timezone"}
    for call in results["explorer"]:
        assert call["outcome"] == "ok" and call["error"] is None
        assert json.loads(call["result"]["content"][0]["text"])["timezone"] == "UTC"
        assert call["duration_ms"] > 0
    assert results["bad"]["outcome"] == "tool_error" and results["bad"]["result"]["isError"] is True
    # No test asserts on the explorer's state after the proxy is gone: the client closed it, and mcpwatch exited.


def test_stream_sends_a_full_update_then_changes_and_the_explorer_calls_are_counted(mcpwatch, peers):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    params = StdioServerParameters(command=mcpwatch, args=["proxy", "--listen", f"127.0.0.1:{port}", "--", peers["time_server"]])

    async def run():
        with anyio.fail_after(120):
            async with stdio_client(params) as (r, w), ClientSession(r, w) as s:
                await s.initialize()
                for _ in range(5):
                    await s.call_tool("get_current_time", {"timezone": "UTC"})
                status, call = await anyio.to_thread.run_sync(
                    lambda: http(base + "/api/call_tool", {"name": "convert_time", "arguments": {
                        "source_timezone": "Europe/Paris", "time": "16:30", "target_timezone": "Asia/Tokyo"}}))
                assert status == 200 and call["outcome"] == "ok", call
                events = await anyio.to_thread.run_sync(lambda: read_stream(base + "/api/stream", 3))
                status, recent = await anyio.to_thread.run_sync(lambda: http(base + "/api/explorer/calls"))
                status, series = await anyio.to_thread.run_sync(lambda: http(base + "/api/series?seconds=60"))
                return events, recent, series

    events, recent, series = anyio.run(run)
    assert [e for e, _ in events] == ["update"] * 3
    first, second = events[0][1], events[1][1]
    assert first["full"] is True and second["full"] is False
    tools = {t["name"]: t for t in first["tools"]}
    assert tools["get_current_time"]["calls"] == 5 and tools["get_current_time"]["dashboard_calls"] == 0
    assert tools["convert_time"]["calls"] == 1 and tools["convert_time"]["dashboard_calls"] == 1
    assert first["server_alive"] is True and first["health"]["status"] in ("healthy", "degraded")
    assert first["window"]["calls"] >= 6
    # Nothing was called between the updates: later ones carry no tools.
    assert events[2][1]["tools"] == []
    assert [c["name"] for c in recent["calls"]] == ["convert_time"]
    # Points start with the store: seconds before it started are not invented.
    assert series["step_seconds"] == 1 and 1 <= len(series["points"]) <= 60
    assert sum(p["calls"] for p in series["points"]) >= 6

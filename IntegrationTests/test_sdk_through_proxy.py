"""The official Python MCP SDK talking to real servers through `mcpwatch proxy`, compared with a direct connection."""
import json
import subprocess
import sys
import textwrap

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from conftest import read_report


def dump(model) -> str:
    """A result as JSON, the same way for SDK 1.x and 2.x models."""
    return json.dumps(model.model_dump(mode="json", by_alias=True, exclude_none=True), sort_keys=True)


async def session_calls(command, args, calls, list_tools=True):
    out = []
    params = StdioServerParameters(command=command, args=args)
    with anyio.fail_after(120):
        async with stdio_client(params) as (r, w), ClientSession(r, w) as s:
            await s.initialize()
            if list_tools:
                out.append(dump(await s.list_tools()))
            for name, arguments in calls:
                out.append(dump(await s.call_tool(name, arguments)))
    return out


def test_mcp_server_time_gives_identical_results(mcpwatch, peers, tmp_path):
    report = tmp_path / "report.json"
    calls = [
        ("convert_time", {"source_timezone": "Europe/Paris", "time": "16:30", "target_timezone": "Asia/Tokyo"}),
        ("convert_time", {"source_timezone": "America/New_York", "time": "09:05", "target_timezone": "UTC"}),
        ("convert_time", {"source_timezone": "Nowhere/City", "time": "09:05", "target_timezone": "UTC"}),
    ]
    direct = anyio.run(session_calls, peers["time_server"], [], calls)
    proxied = anyio.run(session_calls, mcpwatch,
                        ["proxy", "--no-http", "--report-file", str(report), "--", peers["time_server"]], calls)
    # convert_time uses today's date for DST; both runs are seconds apart, so results match exactly.
    assert proxied == direct
    r = read_report(report)
    assert r["server_name"] == "mcp-time"
    targets = {t["name"]: t for t in r["targets"]}
    assert targets["convert_time"]["calls"] == 3
    assert targets["tools/list"]["calls"] == 1
    assert targets["initialize"]["calls"] == 1
    # The invalid timezone comes back as a tool error (isError), which the report counts as such.
    assert targets["convert_time"]["outcomes"]["tool_error"] == 1
    assert r["session"]["protocol_version"]
    assert r["session"]["client"]["name"] == "mcp"


def test_get_current_time_through_proxy(mcpwatch, peers, tmp_path):
    [_, result] = anyio.run(session_calls, mcpwatch, ["proxy", "--no-http", "--", peers["time_server"]],
                            [("get_current_time", {"timezone": "UTC"})])
    payload = json.loads(json.loads(result)["content"][0]["text"])
    assert payload["timezone"] == "UTC"
    assert payload["datetime"].endswith("+00:00")


async def echo_session(command, args, n):
    params = StdioServerParameters(command=command, args=args)
    texts, mismatches = [], 0
    with anyio.fail_after(300):
        async with stdio_client(params) as (r, w), ClientSession(r, w) as s:
            await s.initialize()
            await s.list_tools()
            for i in range(n):
                text = f"call {i} «ü» \"q\" \\ {'x' * (i % 50)}"
                res = await s.call_tool("echo", {"text": text})
                if res.content[0].text != text:
                    mismatches += 1
            for _ in range(3):
                res = await s.call_tool("fail", {})
                assert getattr(res, "is_error", None) or getattr(res, "isError", None)
            t0 = anyio.current_time()
            await s.call_tool("sleep_ms", {"ms": 150})
            slept = anyio.current_time() - t0
    return mismatches, slept


def test_thousand_calls_are_exact_and_counted(mcpwatch, peers, tmp_path):
    report = tmp_path / "report.json"
    mismatches, slept = anyio.run(echo_session, mcpwatch,
                                  ["proxy", "--no-http", "--report-file", str(report), "--", sys.executable, peers["echo_server"]], 1000)
    assert mismatches == 0
    r = read_report(report)
    targets = {t["name"]: t for t in r["targets"]}
    echo = targets["echo"]
    assert echo["calls"] == 1000
    assert echo["errors"] == 0
    assert echo["success_rate"] == 100
    assert echo["min_ms"] <= echo["p50_ms"] <= echo["p90_ms"] <= echo["p95_ms"] <= echo["p99_ms"] <= echo["max_ms"] * 1.001
    assert echo["recent"]["calls"] == 100
    assert targets["fail"]["outcomes"]["tool_error"] == 3
    assert "intentional failure from echo-peer" in targets["fail"]["last_error"]["message"]
    assert targets["sleep_ms"]["min_ms"] >= 150
    assert slept >= 0.15
    assert r["overview"]["total_calls"] == 1000 + 3 + 1 + 2  # echo, fail, sleep_ms, initialize and tools/list
    assert r["overview"]["in_flight"] == 0
    assert r["anomalies"]["total"] == 0
    assert r["session"]["server_exit"] == "exited with status 0"


SDK1_CLIENT = textwrap.dedent("""
    import sys, anyio
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client
    async def main():
        p = StdioServerParameters(command=sys.argv[1], args=sys.argv[2:])
        async with stdio_client(p) as (r, w), ClientSession(r, w) as s:
            await s.initialize()
            for i in range(20):
                res = await s.call_tool("echo", {"text": f"v1-{i}"})
                assert res.content[0].text == f"v1-{i}", res
            print("ok")
    anyio.run(main)
""")


def test_sdk1_client_and_server_through_proxy(mcpwatch, peers, tmp_path):
    report = tmp_path / "report.json"
    out = subprocess.run(
        [peers["sdk1_python"], "-c", SDK1_CLIENT, mcpwatch, "proxy", "--no-http", "--report-file", str(report), "--",
         peers["sdk1_python"], peers["echo_server"]],
        capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"
    echo = {t["name"]: t for t in read_report(report)["targets"]}["echo"]
    assert echo["calls"] == 20 and echo["errors"] == 0

"""A copied `mcpwatch`, alone in a folder, serves the dashboard and the OpenAPI document: they are compiled in."""
import os
import shutil
import subprocess
import sys
import urllib.request

from conftest import ROOT, free_port, stop, wait_for


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read()
    except OSError:
        return None


def test_a_copied_binary_serves_its_dashboard_and_api_document(mcpwatch, peers, tmp_path):
    alone = tmp_path / "bin" / "mcpwatch"
    alone.parent.mkdir()
    shutil.copy2(mcpwatch, alone)
    assert os.listdir(alone.parent) == ["mcpwatch"]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "MCPWATCH_DASHBOARD_DIR"}
    proxy = subprocess.Popen([str(alone), "proxy", "--listen", f"127.0.0.1:{port}", "--", sys.executable, peers["echo_server"]],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        page = wait_for(lambda: fetch(base + "/"), timeout=30, interval=0.1, what="the dashboard to answer")
        dashboard = ROOT / "Sources/MCPWatchServer/Dashboard"
        assert page == (200, (dashboard / "index.html").read_bytes())
        for name in sorted(os.listdir(dashboard)):
            if name != "index.html":
                assert fetch(f"{base}/assets/{name}") == (200, (dashboard / name).read_bytes()), name
        assert fetch(base + "/api/openapi.json") == (200, (ROOT / "docs/openapi.json").read_bytes())
    finally:
        proxy.stdin.close()
        stop(proxy)

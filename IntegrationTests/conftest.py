"""Fixtures for cross-process tests: the built mcpwatch binary between real MCP peers written by others."""
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PEERS_DIR = pathlib.Path(os.environ.get("MCPWATCH_PEERS", ROOT / ".peers"))


def _need(path: pathlib.Path, what: str) -> str:
    if not path.exists():
        pytest.fail(f"{what} not found at {path}: run scripts/test, which installs it")
    return str(path)


@pytest.fixture(scope="session", autouse=True)
def private_state_folder(tmp_path_factory):
    """Every mcpwatch a test starts keeps its state (the fleet's sockets) in a folder of the test session's own,
    never in the user's ~/.local/state: a test's dashboard sees only the test's servers."""
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("state"))
    yield


@pytest.fixture(scope="session")
def mcpwatch() -> str:
    return _need(pathlib.Path(os.environ.get("MCPWATCH_BIN", ROOT / ".build/debug/mcpwatch")), "the mcpwatch binary")


@pytest.fixture(scope="session")
def swift_sdk_client() -> str:
    """The official MCP Swift SDK's Streamable HTTP client (IntegrationTests/peers/swift-sdk-client), built by scripts/test."""
    default = ROOT / "IntegrationTests/peers/swift-sdk-client/.build/debug/swift-sdk-client"
    return _need(pathlib.Path(os.environ.get("MCPWATCH_SWIFT_CLIENT", default)), "the Swift SDK client")


@pytest.fixture(scope="session")
def peers() -> dict:
    return {
        "sdk1_python": _need(PEERS_DIR / "sdk1/bin/python", "SDK 1.x python"),
        "sdk2_python": _need(PEERS_DIR / "sdk2/bin/python", "SDK 2.x python"),
        "time_server": _need(PEERS_DIR / "sdk2/bin/mcp-server-time", "mcp-server-time"),
        "echo_server": _need(ROOT / "IntegrationTests/peers/echo_server.py", "echo_server.py"),
        "mcp_proxy": _need(PEERS_DIR / "sdk1/bin/mcp-proxy", "mcp-proxy"),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout: float = 10.0, interval: float = 0.02, what: str = "condition"):
    """Polls until condition() is truthy; returns its value, or fails the test at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def stop(*processes):
    """Ends processes started by a test: SIGTERM, then SIGKILL after 10 s."""
    for p in processes:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


def read_report(path) -> dict:
    return json.loads(pathlib.Path(path).read_text())


class RawSession:
    """mcpwatch proxy driven line by line, without an SDK, to see exactly the bytes that cross it."""

    def __init__(self, argv, **kw):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)

    def send(self, data: bytes):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def read_line(self, timeout: float = 10.0) -> bytes:
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            pytest.fail(f"no line from mcpwatch within {timeout} s")
        return self.proc.stdout.readline()

    def close_input(self):
        self.proc.stdin.close()

    def wait(self, timeout: float = 15.0) -> int:
        return self.proc.wait(timeout=timeout)

    def stderr(self) -> str:
        return self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


@pytest.fixture
def raw_session():
    sessions = []

    def start(argv, **kw):
        s = RawSession(argv, **kw)
        sessions.append(s)
        return s

    yield start
    for s in sessions:
        s.kill()


def children_of(pid: int) -> list:
    out = []
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                if ppid == pid:
                    out.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return out

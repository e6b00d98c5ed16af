"""`mcpwatch wrap` and `unwrap` on a Claude Desktop configuration with three real servers: each wrapped entry, started
exactly as the client starts it (its argv from the file), serves the official SDK client through mcpwatch and is
measured; unwrap gives the file back byte for byte; a dry run and a second wrap change nothing."""
import json
import os
import pathlib
import stat
import subprocess
import sys
import urllib.request

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from conftest import ROOT, free_port, wait_for

# Laid out by hand, as people write it: two styles of args, an env, a setting beside the servers.
CONFIG = """{{
  "mcpServers": {{
    "time": {{
      "command": {time},
      "args": ["--local-timezone=UTC"]
    }},
    "echo": {{
      "command": {python},
      "args": [
        {echo}
      ],
      "env": {{ "PYTHONUNBUFFERED": "1" }}
    }},
    "demo": {{ "command": {mcpwatch}, "args": ["demo-server"] }}
  }},
  "globalShortcut": "Ctrl+Space"
}}
"""

CALLS = {
    "time": ("get_current_time", {"timezone": "UTC"}),
    "echo": ("echo", {"text": "through mcpwatch"}),
    "demo": ("echo", {"text": "through mcpwatch"}),
}


def claude_desktop(tmp_path, mcpwatch, peers):
    """A home folder whose Claude Desktop configuration names the three servers."""
    home = tmp_path / "home"
    config = home / ".config/Claude/claude_desktop_config.json"
    config.parent.mkdir(parents=True)
    text = CONFIG.format(time=json.dumps(peers["time_server"]), python=json.dumps(sys.executable),
                         echo=json.dumps(peers["echo_server"]), mcpwatch=json.dumps(mcpwatch))
    config.write_text(text)
    env = {k: v for k, v in os.environ.items() if k != "XDG_CONFIG_HOME"}
    env["HOME"] = str(home)
    return config, env


def run(mcpwatch, args, env, cwd=None):
    return subprocess.run([mcpwatch, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60)


def fetch_json(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return json.loads(response.read())
    except OSError:
        return None


async def call_through(entry, tool, arguments, port):
    """Starts the entry as Claude Desktop does (command, args, env from the file), calls one tool with the SDK client
    and returns its result and the proxy's report as it stands after the call."""
    env = dict(os.environ, **entry.get("env", {}), MCPWATCH_HTTP_LISTEN=f"127.0.0.1:{port}")
    params = StdioServerParameters(command=entry["command"], args=entry.get("args", []), env=env)
    with anyio.fail_after(120):
        async with stdio_client(params) as (r, w), ClientSession(r, w) as session:
            await session.initialize()
            result = await session.call_tool(tool, arguments)

            def measured():
                report = fetch_json(f"http://127.0.0.1:{port}/api/report")
                targets = {t["name"]: t for t in (report or {}).get("targets", [])}
                return report if targets.get(tool, {}).get("calls", 0) >= 1 else None

            report = await anyio.to_thread.run_sync(lambda: wait_for(measured, timeout=30, what=f"{tool} in the report"))
            return result, report


def test_wrap_fronts_every_server_and_unwrap_gives_the_file_back(mcpwatch, peers, tmp_path):
    config, env = claude_desktop(tmp_path, mcpwatch, peers)
    before = config.read_bytes()
    config.chmod(0o600)

    dry = run(mcpwatch, ["wrap", "claude-desktop", "--dry-run"], env)
    assert dry.returncode == 0, dry.stderr
    assert config.read_bytes() == before
    assert not config.with_name(config.name + ".mcpwatch-backup").exists()
    assert f"--- {config}" in dry.stdout and "+      \"command\": " + json.dumps(mcpwatch) + "," in dry.stdout
    assert "dry run: nothing was changed" in dry.stdout

    wrapped = run(mcpwatch, ["wrap", "claude-desktop"], env)
    assert wrapped.returncode == 0, wrapped.stderr
    after = config.read_bytes()
    assert config.with_name(config.name + ".mcpwatch-backup").read_bytes() == before
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    servers = json.loads(after)["mcpServers"]
    assert servers["time"] == {"command": mcpwatch, "args": ["proxy", "--name", "time", "--", peers["time_server"], "--local-timezone=UTC"]}
    assert servers["echo"]["args"] == ["proxy", "--name", "echo", "--", sys.executable, peers["echo_server"]]
    assert servers["echo"]["env"] == {"PYTHONUNBUFFERED": "1"}
    assert servers["demo"] == {"command": mcpwatch, "args": ["proxy", "--name", "demo", "--", mcpwatch, "demo-server"]}
    assert after.endswith(b'  "globalShortcut": "Ctrl+Space"\n}\n')
    for key in servers:
        assert f"{key}: wrapped: " in wrapped.stdout

    again = run(mcpwatch, ["wrap", "claude-desktop"], env)
    assert again.returncode == 0, again.stderr
    assert config.read_bytes() == after
    assert again.stdout.count("already through mcpwatch") == 3

    for key, entry in servers.items():
        tool, arguments = CALLS[key]
        result, report = anyio.run(call_through, entry, tool, arguments, free_port())
        assert not result.model_dump(by_alias=True).get("isError"), (key, result)
        assert report["server_name"] == key
        targets = {t["name"]: t for t in report["targets"]}
        assert targets[tool]["calls"] == 1 and targets[tool]["errors"] == 0
        assert targets["initialize"]["calls"] == 1
    assert config.read_bytes() == after

    unwrapped = run(mcpwatch, ["unwrap", "claude-desktop"], env)
    assert unwrapped.returncode == 0, unwrapped.stderr
    assert config.read_bytes() == before
    assert unwrapped.stdout.count(": unwrapped: ") == 3
    nothing = run(mcpwatch, ["unwrap", "claude-desktop", "--dry-run"], env)
    assert nothing.returncode == 0 and "dry run: nothing to unwrap" in nothing.stdout


def test_a_remote_server_goes_behind_the_stdio_front_only_with_remote(mcpwatch, peers, tmp_path):
    port = free_port()
    server = subprocess.Popen([sys.executable, peers["echo_server"], "--transport", "streamable-http", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        config = tmp_path / ".mcp.json"  # Claude Code's project file: its name tells unwrap whose it is
        text = '{\n  "mcpServers": {\n    "web": { "type": "http", "url": "http://127.0.0.1:%d/mcp" }\n  }\n}\n' % port
        config.write_text(text)
        listed = run(mcpwatch, ["wrap", "claude-code", "--config-file", str(config)], os.environ)
        assert listed.returncode == 0, listed.stderr
        assert config.read_text() == text
        assert f"mcpwatch proxy --name web --upstream http://127.0.0.1:{port}/mcp" in listed.stdout

        wrapped = run(mcpwatch, ["wrap", "claude-code", "--config-file", str(config), "--remote"], os.environ)
        assert wrapped.returncode == 0, wrapped.stderr
        entry = json.loads(config.read_text())["mcpServers"]["web"]
        assert entry == {"type": "stdio", "command": mcpwatch, "args": ["proxy", "--name", "web", "--upstream", f"http://127.0.0.1:{port}/mcp"]}
        wait_for(lambda: fetch_status(f"http://127.0.0.1:{port}/mcp"), timeout=30, what="the echo server to listen")
        result, report = anyio.run(call_through, entry, "echo", {"text": "hi"}, free_port())
        assert result.content[0].text == "hi"
        assert {t["name"]: t for t in report["targets"]}["echo"]["calls"] == 1

        unwrapped = run(mcpwatch, ["unwrap", "--config-file", str(config)], os.environ)
        assert unwrapped.returncode == 0, unwrapped.stderr
        assert config.read_text() == text
    finally:
        server.terminate()
        server.wait(10)


def fetch_status(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def test_bad_files_are_refused_and_left_untouched(mcpwatch, peers, tmp_path):
    config, env = claude_desktop(tmp_path, mcpwatch, peers)
    broken = config.read_text().replace('"Ctrl+Space"', '"Ctrl+Space",')
    config.write_text(broken)
    result = run(mcpwatch, ["wrap", "claude-desktop"], env)
    assert result.returncode == 64
    assert result.stderr.startswith(f"mcpwatch: error: {config} is not valid JSON: line 16, column 33: a trailing comma")
    assert config.read_text() == broken and not config.with_name(config.name + ".mcpwatch-backup").exists()

    missing = run(mcpwatch, ["wrap", "--config-file", str(tmp_path / "nowhere.json")], env)
    assert missing.returncode == 64 and "nowhere.json: no such file" in missing.stderr
    none = run(mcpwatch, ["wrap", "cursor"], env, cwd=tmp_path)
    assert none.returncode == 64 and "no configuration of Cursor found" in none.stderr

    config.write_text(broken.replace('"Ctrl+Space",', '"Ctrl+Space"'))
    good = config.read_bytes()
    config.chmod(0o444)
    read_only = run(mcpwatch, ["wrap", "claude-desktop"], env)
    assert read_only.returncode == 1
    reason = "Permission denied" if os.geteuid() != 0 else "it is read-only"  # root may write it, but it was made read-only
    assert f"mcpwatch: error: cannot write {config}: {reason}; nothing was changed" in read_only.stderr
    assert config.read_bytes() == good and not config.with_name(config.name + ".mcpwatch-backup").exists()


def test_a_symlinked_file_stays_a_link_and_its_target_is_edited(mcpwatch, peers, tmp_path):
    config, env = claude_desktop(tmp_path, mcpwatch, peers)
    dotfiles = tmp_path / "dotfiles" / "claude_desktop_config.json"
    dotfiles.parent.mkdir()
    config.rename(dotfiles)
    config.symlink_to(dotfiles)
    before = dotfiles.read_bytes()
    assert run(mcpwatch, ["wrap", "claude-desktop"], env).returncode == 0
    assert config.is_symlink() and config.resolve() == dotfiles
    assert json.loads(dotfiles.read_bytes())["mcpServers"]["time"]["command"] == mcpwatch
    assert run(mcpwatch, ["unwrap", "claude-desktop"], env).returncode == 0
    assert config.is_symlink() and dotfiles.read_bytes() == before

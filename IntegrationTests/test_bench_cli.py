"""`mcpwatch bench` from the command line, as people first type it."""
import json
import signal
import subprocess
import time


def test_bench_options_after_the_double_dash_get_a_hint(mcpwatch):
    # The form a reader may copy: bench's options after `--` go to the server, which refuses them.
    out = subprocess.run([mcpwatch, "bench", "--", mcpwatch, "demo-server", "--tool", "echo", "--args", '{"text":"hi"}', "--duration", "2s"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "hint: --tool, --args, --duration came after `--`, so the server got them; bench options go before it" in out.stderr


def test_the_same_run_with_options_first_prints_a_clear_result(mcpwatch):
    out = subprocess.run([mcpwatch, "bench", "--tool", "echo", "--args", '{"text":"hi"}', "--duration", "1s", "--", mcpwatch, "demo-server"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("mcpwatch bench: mcpwatch-demo") and "throughput" in out.stdout and "errors       jsonrpc_error 0" in out.stdout


def test_a_baseline_from_json_catches_an_injected_slowdown(mcpwatch, tmp_path):
    # As in the issue: a --json run is the baseline; the same bench against the same server, slowed by 20 ms per
    # message in front of it, must fail the comparison and say which figure moved and by how much.
    baseline = tmp_path / "baseline.json"
    bench = [mcpwatch, "bench", "--tool", "echo", "--args", '{"text":"hi"}', "--duration", "1s"]
    out = subprocess.run(bench + ["--json", "--", mcpwatch, "bench-server"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    baseline.write_text(out.stdout)
    slowed = f'while IFS= read -r line; do sleep 0.02; printf "%s\\n" "$line"; done | {mcpwatch} bench-server'
    out = subprocess.run(bench + ["--baseline", str(baseline), "--max-regression", "10", "--", "bash", "-c", slowed],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 3, (out.stdout, out.stderr)
    assert "REGRESSION: throughput fell by" in out.stdout and "(allowed: 10.0%)" in out.stdout
    assert "REGRESSION: p99 latency rose by" in out.stdout
    # The same comparison as JSON names the regressions too.
    out = subprocess.run(bench + ["--json", "--baseline", str(baseline), "--max-regression", "10", "--", "bash", "-c", slowed],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 3, out.stderr
    comparison = json.loads(out.stdout)["comparison"]
    assert comparison["max_regression_percent"] == 10 and len(comparison["regressions"]) == 2
    assert comparison["throughput"]["change_percent"] < -10 and comparison["p99_us"]["change_percent"] > 10
    assert "REGRESSION: throughput fell by" in out.stderr


def test_the_handshake_waits_as_long_as_timeout_and_says_who_stopped_the_server(mcpwatch):
    # A command that is no MCP server: the wait for initialize follows --timeout (it was a silent 60 s), and the
    # SIGTERM that ends it afterwards is mcpwatch's, not a crash.
    out = subprocess.run([mcpwatch, "bench", "--requests", "10", "--timeout", "2s", "--", "sleep", "1000"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1
    assert "no answer to initialize within 2s" in out.stderr
    assert "mcpwatch stopped it with SIGTERM" in out.stderr and "killed by signal" not in out.stderr
    # One that prints something else on stdout: the error says how many such lines there were.
    out = subprocess.run([mcpwatch, "bench", "--requests", "10", "--timeout", "1s", "--", "bash", "-c", "printf 'a\\nb\\n'; exec sleep 1000"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1
    assert "it printed 2 lines on stdout that are not JSON-RPC" in out.stderr, out.stderr


def interrupt(cmd, signals=1, after=1.5):
    run = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(after)
    for _ in range(signals):
        run.send_signal(signal.SIGINT)
        time.sleep(0.1)
    out, err = run.communicate(timeout=15)
    return run.returncode, out, err


def test_ctrl_c_stops_the_run_and_prints_what_was_measured(mcpwatch):
    # As wrk and oha do: the first SIGINT ends a 30 s run early with its figures so far, marked incomplete, status 130.
    code, out, err = interrupt([mcpwatch, "bench", "--json", "-c", "2", "--duration", "30s", "--", mcpwatch, "bench-server"])
    assert code == 130, err
    r = json.loads(out)
    assert r["completed"] is False and "interrupted" in r["failure"]
    assert r["ok"] > 0 and r["calls"] == r["ok"] + sum(r["errors"].values()) and r["errors"]["transport"] == 0
    assert r["elapsed_seconds"] < 30
    assert "interrupted (SIGINT)" in err
    code, out, err = interrupt([mcpwatch, "bench", "--duration", "30s", "--", mcpwatch, "bench-server"])
    assert code == 130 and "INCOMPLETE   interrupted (SIGINT)" in out and "throughput" in out, (out, err)


def test_a_second_ctrl_c_exits_at_once(mcpwatch):
    # The server never answers and ignores SIGTERM (so that stopping it takes longer than the 0.1 s between the two
    # signals: a plain `sleep` sometimes died first, and the run ended before the second came); the first SIGINT
    # waits for it to stop, the second does not wait for anything. It lives 5 s at most.
    code, out, err = interrupt([mcpwatch, "bench", "--duration", "30s", "--", "sh", "-c", "trap '' TERM; exec sleep 5"],
                               signals=2, after=1)
    assert code == 130 and out == "" and "interrupted again" in err


def test_no_hint_for_an_interpreters_own_dash_c(mcpwatch):
    # `-c` belongs to bash and python here, not to bench: no hint about misplaced options.
    for server in (["bash", "-c", "echo x >&2; exit 2"], ["python3", "-c", "import sys; sys.exit(3)"]):
        out = subprocess.run([mcpwatch, "bench", "--requests", "10", "--", *server], capture_output=True, text=True, timeout=60)
        assert out.returncode == 1 and "no answer to initialize" in out.stderr
        assert "hint" not in out.stderr, out.stderr
    # Bench's own -c with a number after `--` still gets it; -c followed by something else does not.
    out = subprocess.run([mcpwatch, "bench", "--requests", "10", "--", mcpwatch, "demo-server", "-c", "16"], capture_output=True, text=True, timeout=60)
    assert "hint: -c came after `--`" in out.stderr, out.stderr
    out = subprocess.run([mcpwatch, "bench", "--requests", "10", "--", mcpwatch, "demo-server", "-c", "config.json"],
                         capture_output=True, text=True, timeout=60)
    assert "hint" not in out.stderr, out.stderr


def test_invalid_values_are_usage_errors_that_say_what_is_wrong(mcpwatch):
    cases = [
        (["-c", "-3"], "--concurrency must be from 1 to 100000, not -3"),
        (["--duration", "-1s"], "--duration must be above zero, not `-1s`"),
        (["--requests", "0"], "--requests must be at least 1 call, not 0"),
        (["--url", "not-a-url"], "--url must be an http:// or https:// address of an MCP endpoint, not 'not-a-url'"),
    ]
    for options, message in cases:
        server = [] if "--url" in options else ["--", mcpwatch, "bench-server"]
        out = subprocess.run([mcpwatch, "bench", *options, *server], capture_output=True, text=True, timeout=60)
        assert out.returncode == 64, (options, out.stderr)
        assert message in out.stderr and "Missing value" not in out.stderr, (options, out.stderr)


def test_failed_calls_show_the_servers_own_words(mcpwatch, tmp_path):
    # A count of tool errors says nothing of why: the first one of each kind is shown as the server worded it.
    mix = tmp_path / "mix.json"
    mix.write_text(json.dumps([{"tool": "echo"}, {"tool": "no_such_tool"}]))
    out = subprocess.run([mcpwatch, "bench", "--mix", str(mix), "--requests", "100", "--", mcpwatch, "bench-server"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "tool_error 50" in out.stdout and "first tool_error: unknown tool: no_such_tool" in out.stdout
    out = subprocess.run([mcpwatch, "bench", "--tool", "calculate", "--args", '{"a":1,"b":0,"op":"div"}', "--requests", "5", "--json",
                          "--", mcpwatch, "demo-server"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert json.loads(out.stdout)["error_examples"] == {"jsonrpc_error": "error -32602: Invalid params: division by zero"}

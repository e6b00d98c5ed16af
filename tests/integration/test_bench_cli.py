"""`mcpwatch bench` from the command line, as people first type it."""
import subprocess


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

"""scripts/install --dry-run: the steps it would take, without building (release builds are not run in CI)."""
import os
import subprocess

from conftest import ROOT


def install(*args, path="/usr/bin:/bin"):
    env = dict(os.environ, PATH=path)
    return subprocess.run(["bash", str(ROOT / "scripts/install"), *args], capture_output=True, text=True, env=env, timeout=30)


def test_dry_run_prints_the_release_build_and_the_install_and_does_nothing(tmp_path):
    prefix = tmp_path / "prefix"
    result = install("--dry-run", str(prefix))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "    swift build -c release --static-swift-stdlib --product mcpwatch" in lines
    assert f"    mkdir -p {prefix}/bin" in lines
    assert f"    mv -f {prefix}/bin/mcpwatch.new {prefix}/bin/mcpwatch" in lines
    assert f"{prefix}/bin is not on your PATH. Add it, then open a new shell:" in lines
    assert f"  fish:  fish_add_path {prefix}/bin" in lines
    assert any("--generate-completion-script zsh" in line for line in lines)
    assert not prefix.exists()


def test_the_default_prefix_is_the_users_local_folder_and_no_path_advice_when_on_the_path(tmp_path):
    home = tmp_path / "home"
    result = subprocess.run(["bash", str(ROOT / "scripts/install"), "--dry-run"], capture_output=True, text=True, timeout=30,
                            env=dict(os.environ, HOME=str(home), PATH=f"{home}/.local/bin:/usr/bin:/bin"))
    assert result.returncode == 0, result.stderr
    assert f"dry run: nothing was done; it would install {home}/.local/bin/mcpwatch" in result.stdout
    assert "not on your PATH" not in result.stdout
    assert not home.exists()


def test_bad_arguments_are_usage_errors(tmp_path):
    assert install("--fast").returncode == 64
    assert install(str(tmp_path / "a"), str(tmp_path / "b")).returncode == 64

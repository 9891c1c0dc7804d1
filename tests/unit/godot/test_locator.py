"""Which Godot the app runs, in a stated order, and a not-found error that says how to fix it."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.errors import GodotRuntimeError
from app.godot.locator import GODOT_ENV, GodotRuntime, locate_godot
from app.settings.sections.godot import GodotSettings


def _godot(path: Path, version: str = "4.6.3.stable.test", *, exit_code: int = 0) -> Path:
    """A real executable that answers --version like Godot and records its environment."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "#!/bin/sh\n"
        f'echo "$XDG_CONFIG_HOME" > "{path}.xdg"\n'
        f'[ "$1" = "--headless" ] && [ "$2" = "--version" ] && echo "{version}"\n'
        f"exit {exit_code}\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """No Godot anywhere: an empty PATH folder of our own."""
    (tmp_path / "path").mkdir()
    return {"PATH": str(tmp_path / "path")}


def _locate(tmp_path: Path, env: dict[str, str], setting: str = "",
            fetched: list[Path] | None = None) -> GodotRuntime:
    return locate_godot(GodotSettings(path=setting), env, home=tmp_path / "home",
                        fetched_dirs=fetched if fetched is not None else [tmp_path / "fetched"])


def test_order_setting_env_fetched_path(tmp_path: Path, env: dict[str, str]) -> None:
    setting = _godot(tmp_path / "setting" / "godot", "4.3.stable")
    from_env = _godot(tmp_path / "env" / "godot", "4.4.stable")
    fetched = _godot(tmp_path / "fetched" / "godot", "4.6.3.stable")
    godot4 = _godot(tmp_path / "path" / "godot4", "4.5.stable")
    _godot(tmp_path / "path" / "godot", "4.5.1.stable")
    env[GODOT_ENV] = str(from_env)

    found = _locate(tmp_path, env, str(setting))
    assert (found.command, found.source) == ([str(setting)], "setting godot.path")
    assert found.version == "4.3.stable"
    found = _locate(tmp_path, env)
    assert (found.command, found.source) == ([str(from_env)], f"env {GODOT_ENV}")
    del env[GODOT_ENV]
    found = _locate(tmp_path, env)
    assert found.command == [str(fetched)] and found.source.startswith("fetched runtime")
    fetched.unlink()
    assert _locate(tmp_path, env).command == [str(godot4)]
    godot4.unlink()
    found = _locate(tmp_path, env)
    assert found.source == "godot on PATH" and found.version == "4.5.1.stable"
    assert found.argv("--headless", "-s", "x.gd") == [str(tmp_path / "path" / "godot"),
                                                     "--headless", "-s", "x.gd"]


@pytest.mark.expected_log(r"^skipping ")
def test_too_old_and_broken_candidates_are_skipped(tmp_path: Path, env: dict[str, str]) -> None:
    env[GODOT_ENV] = str(_godot(tmp_path / "old" / "godot", "4.2.2.stable"))
    broken = _godot(tmp_path / "broken" / "godot", "4.6.stable", exit_code=3)
    _godot(tmp_path / "path" / "godot", "4.6.1.stable")
    found = _locate(tmp_path, env, str(broken))
    assert found.source == "godot on PATH"


def test_a_bare_name_in_the_setting_is_looked_up_on_path(tmp_path: Path,
                                                         env: dict[str, str]) -> None:
    custom = _godot(tmp_path / "path" / "my-godot", "4.6.stable")
    assert _locate(tmp_path, env, "my-godot").command == [str(custom)]


def test_the_runtime_gets_private_xdg_folders(tmp_path: Path, env: dict[str, str]) -> None:
    godot = _godot(tmp_path / "path" / "godot")
    found = _locate(tmp_path, env)
    home = tmp_path / "home"
    assert found.env == {"XDG_DATA_HOME": str(home / "data"), "XDG_CACHE_HOME": str(home / "cache"),
                         "XDG_CONFIG_HOME": str(home / "config")}
    assert all(Path(folder).is_dir() for folder in found.env.values())
    assert Path(f"{godot}.xdg").read_text().strip() == str(home / "config")  # probed with them


def test_default_home_is_in_the_data_folder(tmp_path: Path, env: dict[str, str]) -> None:
    env["COMPANION_STAGE_DATA_DIR"] = str(tmp_path / "data")
    _godot(tmp_path / "path" / "godot")
    found = locate_godot(GodotSettings(), env, fetched_dirs=[])
    assert found.env["XDG_DATA_HOME"] == str((tmp_path / "data" / "godot" / "data").resolve())


@pytest.mark.expected_log(r"^skipping ")
def test_not_found_lists_every_place_and_the_fix(tmp_path: Path, env: dict[str, str]) -> None:
    env[GODOT_ENV] = str(tmp_path / "missing" / "godot")
    _godot(tmp_path / "path" / "godot", "3.5.3.stable.official")
    not_executable = tmp_path / "fetched" / "godot"
    _godot(not_executable).chmod(0o644)
    with pytest.raises(GodotRuntimeError) as caught:
        _locate(tmp_path, env, str(tmp_path / "nowhere" / "godot"),
                fetched=[tmp_path / "fetched", tmp_path / "other"])
    error = caught.value
    assert error.reason == "godot-not-found"
    lines = error.message.splitlines()
    assert lines[1:7] == [
        f"  1. setting godot.path: {tmp_path / 'nowhere' / 'godot'} not found",
        f"  2. env {GODOT_ENV}: {tmp_path / 'missing' / 'godot'} not found",
        f"  3. fetched runtime {not_executable}: {not_executable} is not executable",
        f"  4. fetched runtime {tmp_path / 'other' / 'godot'}: {tmp_path / 'other' / 'godot'} "
        "not found",
        "  5. godot4 on PATH: not found",
        f"  6. godot on PATH: {tmp_path / 'path' / 'godot'} is Godot 3.5.3, older than 4.3.0",
    ]
    assert "run `companion-stage godot fetch`" in error.message
    assert f"{GODOT_ENV} at a Godot 4.3+ executable" in error.message


def test_nothing_set_says_not_set(tmp_path: Path, env: dict[str, str]) -> None:
    with pytest.raises(GodotRuntimeError) as caught:
        _locate(tmp_path, env, fetched=[])
    assert "1. setting godot.path: not set" in caught.value.message
    assert f"2. env {GODOT_ENV}: not set" in caught.value.message

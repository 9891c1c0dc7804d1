"""Single instance: real `python -m app` processes sharing one data folder (offscreen Qt)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.paths import DataPaths
from tests.conftest import REPO_ROOT

START_TIMEOUT = 60.0


def app_env() -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


def launch(data_dir: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "app", "--data-dir", str(data_dir), *args],
        cwd=REPO_ROOT,
        env=app_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(condition: Callable[[], bool], what: str, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def log_text(paths: DataPaths) -> str:
    log_file = paths.logs_dir / "companion-stage.log"
    return log_file.read_text(encoding="utf-8") if log_file.exists() else ""


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def start_primary(
    paths: DataPaths, processes: list[subprocess.Popen[str]]
) -> subprocess.Popen[str]:
    primary = launch(paths.root)
    processes.append(primary)
    wait_for(
        lambda: "shell is running" in log_text(paths) or primary.poll() is not None,
        "the first instance",
    )
    assert primary.poll() is None, primary.communicate()[0]
    return primary


def test_a_second_launch_hands_its_arguments_to_the_first_and_exits_0(
    data_dir: DataPaths, processes: list[subprocess.Popen[str]]
) -> None:
    primary = start_primary(data_dir, processes)
    shown_before = log_text(data_dir).count("Settings window shown")

    second = launch(data_dir.root, "--settings")
    processes.append(second)
    output, _ = second.communicate(timeout=START_TIMEOUT)
    assert second.returncode == 0, output
    assert "already runs" in output

    wait_for(
        lambda: "Received arguments from a later launch" in log_text(data_dir), "receipt in the log"
    )
    received = [line for line in log_text(data_dir).splitlines() if "Received arguments" in line]
    assert '"--settings"' in received[0] and str(data_dir.root) in received[0]
    wait_for(
        lambda: log_text(data_dir).count("Settings window shown") > shown_before,
        "the settings window",
    )
    assert primary.poll() is None  # the first one keeps running

    primary.send_signal(signal.SIGTERM)
    assert primary.wait(timeout=30) == 0
    assert "shell stopped" in log_text(data_dir)


def test_the_folder_is_free_again_after_the_first_instance_quits_or_crashes(
    data_dir: DataPaths, processes: list[subprocess.Popen[str]]
) -> None:
    primary = start_primary(data_dir, processes)
    primary.kill()  # a crash: the lock file and the socket file stay behind
    primary.wait(timeout=30)
    assert (data_dir.root / "instance.lock").exists()

    log_file = data_dir.logs_dir / "companion-stage.log"
    log_file.unlink()
    successor = start_primary(data_dir, processes)  # takes over instead of waiting for a dead one
    assert "Listening for later launches" in log_text(data_dir)
    successor.send_signal(signal.SIGTERM)
    assert successor.wait(timeout=30) == 0


def test_different_data_folders_run_side_by_side(
    data_dir: DataPaths, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    first = start_primary(data_dir, processes)
    other = DataPaths(tmp_path / "other").ensure()
    second = start_primary(other, processes)
    assert first.poll() is None and second.poll() is None
    for process in (first, second):
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0

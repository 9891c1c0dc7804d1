"""The top-level command: version, `python -m app`, and where the data folder is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app import __version__
from app.cli import main
from app.paths import resolve_data_dir


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"companion-stage {__version__}"


def test_python_dash_m_app_runs(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "app", "--version"], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == f"companion-stage {__version__}"


def test_data_dir_precedence(tmp_path: Path) -> None:
    env = {"COMPANION_STAGE_DATA_DIR": str(tmp_path / "b")}
    assert resolve_data_dir(str(tmp_path / "a"), env).root == tmp_path / "a"
    assert resolve_data_dir(None, env).root == tmp_path / "b"
    assert resolve_data_dir(None, {}).root.name == "companion-stage"

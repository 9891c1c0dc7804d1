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


def test_the_data_dir_flag_reaches_every_resolver_and_child(tmp_path: Path) -> None:
    chosen = tmp_path / "portable"
    out = subprocess.run(
        [sys.executable, "-c",
         "import sys; from app.context import AppContext; from app.cli import build_parser;"
         "from app.paths import resolve_data_dir;"
         "AppContext.from_args(build_parser().parse_args(sys.argv[1:]));"
         "print(resolve_data_dir().root)", "--data-dir", str(chosen)],
        capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(chosen.resolve())


def test_where_prints_the_data_layout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["--data-dir", str(tmp_path / "d"), "where", "--json"]) == 0
    places = json.loads(capsys.readouterr().out)
    root = (tmp_path / "d").resolve()
    assert places == {"dataDir": str(root), "settings": str(root / "settings.json"),
                      "models": str(root / "models"), "stage": str(root / "stage"),
                      "logs": str(root / "logs")}

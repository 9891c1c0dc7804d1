"""Shared fixtures: every test gets its own data directory and an offscreen Qt."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.paths import DATA_DIR_ENV, DataPaths

__all__ = ["REAL_FIXTURES", "REPO_ROOT", "data_dir", "real_vrm_files"]

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO_ROOT = Path(__file__).resolve().parent.parent
#: The shared real VRM fixtures, beside the clone (CI) or named by env (worktrees).
REAL_FIXTURES = Path(
    os.environ.get("COMPANION_STAGE_FIXTURES")
    or REPO_ROOT.parent / "shared" / "fixtures" / "vrm-real"
).resolve()


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DataPaths]:
    """A fresh user-data folder; the real one in $HOME is never touched by tests."""
    root = tmp_path / "data"
    monkeypatch.setenv(DATA_DIR_ENV, str(root))
    yield DataPaths(root).ensure()


def real_vrm_files() -> list[Path]:
    """The six real VRM fixtures, read in place (never copied into the repo)."""
    files = sorted(REAL_FIXTURES.glob("*.vrm"))
    assert len(files) == 6, f"expected six real VRM fixtures in {REAL_FIXTURES}"
    return files

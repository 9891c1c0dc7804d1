"""The real VRM fixtures are found beside the checkout, beside the repository it was cloned
from (a fresh clone made elsewhere), or where the environment says."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.fixture_paths import FIXTURES_ENV, real_fixtures_dir


def _repo(root: Path) -> Path:
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def test_beside_the_checkout_then_beside_its_origin_then_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(FIXTURES_ENV, raising=False)
    main = _repo(tmp_path / "work" / "main")
    shared = tmp_path / "work" / "shared" / "fixtures" / "vrm-real"
    shared.mkdir(parents=True)
    assert real_fixtures_dir(main) == shared

    clone = tmp_path / "elsewhere" / "clone"
    subprocess.run(["git", "clone", "-q", str(main), str(clone)], check=True,
                   capture_output=True)
    assert real_fixtures_dir(clone) == shared  # found through origin

    lonely = _repo(tmp_path / "lonely" / "repo")
    assert real_fixtures_dir(lonely) == tmp_path / "lonely" / "shared" / "fixtures" / "vrm-real"

    monkeypatch.setenv(FIXTURES_ENV, str(tmp_path / "named"))
    assert real_fixtures_dir(clone) == tmp_path / "named"

"""The models sub-commands: one JSON line per file, and refusals that carry a reason."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.paths import DataPaths
from app.settings import SettingsStore
from tests.conftest import REAL_FIXTURES, REPO_ROOT, real_vrm_files
from tests.unit.models.glbkit import split_glb

GODETTE = REAL_FIXTURES / "godette_vrm0.vrm"
ROBOT = REAL_FIXTURES / "debug_robot_vrm1.vrm"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict[str, Any]], str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines() if line.strip()], err


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _selected(data_dir: DataPaths) -> str:
    return SettingsStore(data_dir.settings_file).load().settings.models.selected


def test_inspect_json_one_line_per_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.vrm"
    bad.write_bytes(GODETTE.read_bytes()[:1000])
    files = [str(p) for p in real_vrm_files()]
    code, lines, _ = _run(capsys, "models", "inspect", "--json", *files, str(bad))
    assert code == 1
    assert [line["file"] for line in lines] == [*files, str(bad)]
    assert all(line["ok"] for line in lines[:-1])
    assert {line["vrmVersion"] for line in lines[:-1]} == {"0.x", "1.0"}
    godette = lines[files.index(str(GODETTE))]
    assert godette["title"] == "Low-Poly Godette" and godette["authors"] == ["SirRichard94"]
    assert godette["thumbnail"]["size"] > 10_000 and godette["licence"]["licenseName"] == "CC_BY"
    assert (lines[-1]["ok"], lines[-1]["reason"]) == (False, "truncated")
    assert "vrmVersion" not in lines[-1]


def test_inspect_all_good_exits_zero_and_imports_nothing(
    capsys: pytest.CaptureFixture[str], data_dir: DataPaths
) -> None:
    code = main(["models", "inspect", str(GODETTE)])
    assert code == 0
    assert "Low-Poly Godette" in capsys.readouterr().out
    assert list(data_dir.models_dir.iterdir()) == []


def test_inspect_respects_the_size_setting(
    capsys: pytest.CaptureFixture[str], data_dir: DataPaths
) -> None:
    SettingsStore(data_dir.settings_file).update(
        lambda s: setattr(s.models, "max_import_bytes", 1000)
    )
    code, lines, _ = _run(capsys, "models", "inspect", "--json", str(ROBOT))
    assert code == 1 and lines[0]["reason"] == "too-large"


def test_import_list_select_remove(
    capsys: pytest.CaptureFixture[str], data_dir: DataPaths, tmp_path: Path
) -> None:
    not_vrm = tmp_path / "avatar.gltf"
    not_vrm.write_text('{"asset": {"version": "2.0"}}')
    code, lines, err = _run(
        capsys, "models", "import", "--json", str(GODETTE), str(ROBOT), str(not_vrm)
    )
    assert code == 1
    assert [(line["ok"], line.get("added")) for line in lines[:2]] == [(True, True), (True, True)]
    assert lines[0]["id"] == _sha(GODETTE) and lines[0]["title"] == "Low-Poly Godette"
    assert (lines[2]["ok"], lines[2]["reason"]) == (False, "not-glb") and ".gltf" in lines[2][
        "message"
    ]
    assert "importing godette_vrm0.vrm: 100%" in err

    code, lines, _ = _run(capsys, "models", "import", "--json", str(GODETTE))
    assert code == 0 and lines[0]["added"] is False

    code, lines, _ = _run(capsys, "models", "list", "--json")
    assert code == 0
    assert lines[0]["builtin"] and lines[0]["selected"]  # nothing chosen yet: the default
    assert [line["id"] for line in lines[1:]] == [_sha(ROBOT), _sha(GODETTE)]

    code, lines, _ = _run(capsys, "models", "select", "--json", _sha(GODETTE)[:10])
    assert code == 0 and lines[0]["selected"] == _sha(GODETTE)
    assert _selected(data_dir) == _sha(GODETTE)
    _, lines, _ = _run(capsys, "models", "list", "--json")
    assert [line["selected"] for line in lines] == [False, False, True]

    code, lines, _ = _run(capsys, "models", "remove", "--json", _sha(GODETTE)[:8])
    assert code == 0 and lines[0]["removed"] == _sha(GODETTE) and lines[0]["selectionReset"]
    assert _selected(data_dir) == ""
    assert not (data_dir.models_dir / f"{_sha(GODETTE)}.vrm").exists()

    code, lines, _ = _run(capsys, "models", "select", "--json", "default")
    assert code == 0 and lines[0]["builtin"] and _selected(data_dir) == ""


def test_unknown_and_builtin_ids_are_refused(
    capsys: pytest.CaptureFixture[str], data_dir: DataPaths
) -> None:
    code, lines, _ = _run(capsys, "models", "select", "--json", "ffffzz")
    assert code == 1 and lines[0]["reason"] == "unknown-model"
    code, lines, _ = _run(capsys, "models", "remove", "--json", "default")
    assert code == 1 and lines[0]["reason"] == "unknown-model"
    _, lines, _ = _run(capsys, "models", "list", "--json")
    code, lines, _ = _run(capsys, "models", "remove", "--json", lines[0]["id"])
    assert code == 1 and lines[0]["reason"] == "builtin-model"
    code = main(["models", "select", "nothing-like-this"])
    assert code == 1 and "[unknown-model]" in capsys.readouterr().err
    assert _selected(data_dir) == ""


def test_ambiguous_prefix_is_refused(
    capsys: pytest.CaptureFixture[str], data_dir: DataPaths, tmp_path: Path
) -> None:
    base = split_glb(ROBOT.read_bytes())
    files = []
    for n in range(17):  # 17 ids: at least two share their first hex digit
        variant = base.clone()
        variant.doc["extensions"]["VRMC_vrm"]["meta"]["name"] = f"robot {n}"
        files.append(str(variant.write(tmp_path / f"robot{n}.vrm")))
    code, imported, _ = _run(capsys, "models", "import", "--json", "--quiet", *files)
    assert code == 0 and len({line["id"] for line in imported}) == 17
    _, listed, _ = _run(capsys, "models", "list", "--json")
    ids = [line["id"] for line in listed]
    shared = next(a[:1] for a in ids if sum(b.startswith(a[:1]) for b in ids) > 1)
    code, lines, _ = _run(capsys, "models", "select", "--json", shared)
    assert code == 1 and lines[0]["reason"] == "ambiguous-model"
    assert "matches several models" in lines[0]["message"]
    code, lines, _ = _run(capsys, "models", "select", "--json", "")
    assert code == 1 and lines[0]["reason"] == "unknown-model"
    assert _selected(data_dir) == ""


def test_cli_subprocess(data_dir: DataPaths) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "app", "models", "import", "--json", str(ROBOT)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    line = json.loads(done.stdout)
    assert line["ok"] and line["id"] == _sha(ROBOT)
    assert (data_dir.models_dir / f"{_sha(ROBOT)}.vrm").read_bytes() == ROBOT.read_bytes()
    failed = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "models",
            "inspect",
            "--json",
            str(data_dir.root / "missing.vrm"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["reason"] == "not-found"

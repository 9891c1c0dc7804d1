"""Model bytes land in stage/models/<sha256>.vrm: atomic, content-named, verified."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from app.errors import StageError
from app.stage.apply import materialise


def make(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_copy_is_named_by_content_not_by_the_user(tmp_path: Path) -> None:
    source = make(tmp_path, "../../evil name.vrm".replace("/", "_"), b"glTF model bytes")
    model = materialise(source, tmp_path / "stage")
    sha = hashlib.sha256(b"glTF model bytes").hexdigest()
    assert model.sha256 == sha
    assert model.path == tmp_path / "stage" / f"{sha}.vrm"
    assert model.path.read_bytes() == b"glTF model bytes"
    assert sorted(p.name for p in (tmp_path / "stage").iterdir()) == [f"{sha}.vrm"]


def test_library_file_is_linked_and_reused(tmp_path: Path) -> None:
    data = b"library copy"
    sha = hashlib.sha256(data).hexdigest()
    source = make(tmp_path, f"{sha}.vrm", data)
    first = materialise(source, tmp_path / "stage", expected_sha256=sha)
    assert first.path.read_bytes() == data
    assert os.path.samefile(first.path, source)  # a hard link: no copy, no fsync
    again = materialise(source, tmp_path / "stage", expected_sha256=sha)
    assert again == first


def test_streamed_copy_must_match_the_expected_hash(tmp_path: Path) -> None:
    # Force the copying path: an existing stage file of another size blocks reuse, and a
    # directory where the link would go makes linking fail.
    source = make(tmp_path, "model.vrm", b"actual bytes")
    wrong = "f" * 64
    stage = tmp_path / "stage"
    (stage / f"{wrong}.vrm").mkdir(parents=True)
    with pytest.raises(StageError) as exc:
        materialise(source, stage, expected_sha256=wrong)
    assert exc.value.reason == "hash-mismatch"
    assert [p.name for p in stage.iterdir()] == [f"{wrong}.vrm"]  # no stray temporary file


def test_missing_source_and_bad_ids(tmp_path: Path) -> None:
    with pytest.raises(StageError) as exc:
        materialise(tmp_path / "nope.vrm", tmp_path / "stage")
    assert exc.value.reason == "not-found"
    with pytest.raises(StageError) as exc:
        materialise(make(tmp_path, "m.vrm", b"x"), tmp_path / "stage", expected_sha256="../x")
    assert exc.value.reason == "bad-model-id"


def test_applier_reports_a_missing_file_through_its_future(tmp_path: Path) -> None:
    from app.stage.apply import StageApplier
    from app.stage.bridge import StageBridge

    applier = StageApplier(StageBridge(), tmp_path / "stage")
    pending = applier.apply(tmp_path / "gone.vrm")  # returns at once, never raises here
    with pytest.raises(StageError) as exc:
        pending.result(5)
    assert exc.value.reason == "not-found"

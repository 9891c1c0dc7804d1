"""Applying models on the real headless Godot stage through the real bridge."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.errors import StageError
from app.models.validate import inspect_file
from app.paths import DataPaths
from app.settings.sections.stage import StageSettings
from app.stage.apply import ApplyResult, StageApplier, materialise
from app.stage.bridge import Message, StageBridge
from app.stage.inspect import inspect_vrm
from app.stage.runtime import Runtime
from app.stage.supervisor import StageSupervisor
from tests.conftest import REAL_FIXTURES, REPO_ROOT, real_vrm_files
from tests.e2e.stage.conftest import Stage, default_avatars
from tests.e2e.stage.vrm_craft import without_meshes
from tests.e2e.stage.vrm_facts import vrm_facts

pytestmark = [pytest.mark.godot, pytest.mark.e2e]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("path", real_vrm_files(), ids=lambda p: p.stem)
def test_every_real_fixture_applies(stage: Stage, path: Path, data_dir: DataPaths) -> None:
    result = stage.applier.apply(path).result(60)
    assert result.status == "applied", result
    assert result.applied is not None
    assert result.applied.sha256 == sha256(path)
    assert result.applied.vrmVersion == ("0.x" if "vrm0" in path.stem else "1.0")
    assert result.applied.meshCount > 0
    assert result.applied.importMs > 0
    # The stage read its own content-named copy, not the user's file.
    assert [p.name for p in (data_dir.stage_dir / "models").glob("*.vrm")] == [
        f"{sha256(path)}.vrm"
    ]


@pytest.mark.parametrize(
    "path", [*default_avatars(), REAL_FIXTURES / "godette_vrm0.vrm"], ids=lambda p: p.stem
)
def test_scene_applied_reports_what_the_vrm_runtime_built(stage: Stage, path: Path) -> None:
    result = stage.applier.apply(path).result(60)
    assert result.status == "applied", result
    applied = result.applied
    assert applied is not None
    # Against the file itself: nothing the VRM declares was dropped on the way.
    facts = vrm_facts(path)
    assert applied.vrmVersion == facts.vrm_version
    assert applied.humanoidBones == facts.humanoid_bones > 0
    assert applied.springChains == facts.spring_chains > 0
    assert applied.mtoonMaterials == facts.mtoon_materials > 0
    assert len(applied.expressions) == facts.expressions
    # Names are the VRM 1.0 vocabulary whatever the version (0.x "a" arrives as "aa").
    assert {"aa", "blink", "blinkLeft", "happy", "sad"} <= set(applied.expressions)
    assert not {"a", "joy", "sorrow", "blink_l"} & set(applied.expressions)
    assert 0 < applied.importMs < 60_000
    assert applied.meshCount > 0 and applied.boneCount >= applied.humanoidBones
    # Against a separate import by the probe: the bridge carries the loader's own figures.
    info = inspect_vrm(path, springs=False)["info"]
    assert (applied.meshCount, applied.boneCount, applied.humanoidBones) == (
        info["meshCount"],
        info["boneCount"],
        info["humanoidBones"],
    )
    assert (list(applied.expressions), applied.springChains, applied.mtoonMaterials) == (
        info["expressions"],
        info["springChains"],
        info["mtoonMaterials"],
    )


@pytest.mark.parametrize("path", default_avatars(), ids=lambda p: p.stem)
def test_cli_apply_headless_json(path: Path, data_dir: DataPaths) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "app", "stage", "apply", str(path), "--headless", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
        env=os.environ,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    body = json.loads(out.stdout)
    assert body["status"] == "applied" and body["sha256"] == sha256(path)
    assert body["meshCount"] > 0 and body["boneCount"] >= 0
    assert body["humanoidBones"] > 0 and "aa" in body["expressions"]
    # Godot's output reached the rotating log.
    assert "Godot Engine" in (data_dir.logs_dir / "godot.log").read_text()


def test_cli_apply_refused_file_exits_1_with_reason(tmp_path: Path) -> None:
    broken = without_meshes(real_vrm_files()[0], tmp_path / "empty.vrm")
    out = subprocess.run(
        [sys.executable, "-m", "app", "stage", "apply", str(broken), "--headless", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
        env=os.environ,
    )
    assert out.returncode == 1
    body = json.loads(out.stdout)
    assert body["status"] == "error" and body["code"] == "empty-scene" and body["message"]


@pytest.mark.expected_log(
    r"^stage: broken refused \(empty-scene\): broken has no meshes to show\.$",
    r"^the stage refused broken \(empty-scene\): broken has no meshes to show\.$",
)
def test_godot_failure_keeps_the_previous_avatar(stage: Stage, tmp_path: Path) -> None:
    good = next(p for p in real_vrm_files() if "godette" in p.stem)
    broken = without_meshes(good, tmp_path / "broken.vrm")
    _python_validation_accepts(broken)
    assert stage.applier.apply(good).result(60).status == "applied"

    refused = stage.applier.apply(broken).result(60)
    assert refused.status == "error" and refused.error is not None
    assert refused.error.code == "empty-scene"
    # Godot reports what it still shows after the refusal: the previous avatar.
    note = _log_answering(stage, refused)
    assert note == f"scene: still showing {sha256(good)}"
    assert stage.applier.shown is not None and stage.applier.shown.sha256 == sha256(good)


@pytest.mark.expected_log(
    r"^stage: tampered refused \(sha256-mismatch\): file hash [0-9a-f]{64} does not match 0{64}$",
)
def test_hash_mismatch_is_refused_by_godot(stage: Stage, data_dir: DataPaths) -> None:
    from app.stage.protocol import SceneApply

    good = real_vrm_files()[0]
    result = stage.applier.apply(good).result(60)
    assert result.applied is not None
    wrong = "0" * 64
    _, reply = stage.supervisor.bridge.request(
        SceneApply(
            wrong,
            "vrm",
            str(data_dir.stage_dir / "models" / f"{result.applied.sha256}.vrm"),
            wrong,
            "tampered",
        )
    )
    answer = reply.result(30).payload
    assert answer.TYPE == "scene.error" and answer.code == "sha256-mismatch"  # type: ignore[union-attr]


def test_latest_selection_wins(stage: Stage, data_dir: DataPaths) -> None:
    files = real_vrm_files()
    for path in files:  # copy first, so that the six selections leave within microseconds
        materialise(path, data_dir.stage_dir / "models")
    futures = [stage.applier.apply(path, model_id=sha256(path)) for path in files]
    results = [f.result(60) for f in futures]
    assert results[-1].status == "applied"
    assert results[-1].applied is not None and results[-1].applied.sha256 == sha256(files[-1])
    assert all(r.status == "superseded" for r in results[:-1]), [r.status for r in results]
    assert stage.applier.shown is not None and stage.applier.shown.sha256 == sha256(files[-1])


def test_same_file_is_not_reimported(stage: Stage) -> None:
    path = real_vrm_files()[0]
    first = stage.applier.apply(path).result(60)
    again = stage.applier.apply(path).result(60)
    assert first.status == "applied" and again.status == "unchanged"
    assert again.applied == first.applied


def _log_answering(stage: Stage, result: ApplyResult) -> str:
    while True:
        event = stage.events.get(timeout=10)
        if (
            isinstance(event, Message)
            and event.envelope.type == "log"
            and event.envelope.re == result.request_id
        ):
            return str(event.envelope.payload.message)  # type: ignore[union-attr]


def _python_validation_accepts(path: Path) -> None:
    """The model library's validator finds nothing wrong with the file."""
    inspection = inspect_file(path, max_bytes=1 << 30)
    assert inspection.ok, inspection.message


def test_selection_made_before_the_stage_is_up_is_applied_once_ready(
    godot_runtime: Runtime, data_dir: DataPaths
) -> None:
    supervisor = StageSupervisor(
        settings=StageSettings(), headless=True, runtime=godot_runtime, logs_dir=data_dir.logs_dir
    )
    applier = StageApplier(supervisor.bridge, data_dir.stage_dir / "models")
    supervisor.add_ready_hook(applier.on_stage_ready)
    path = real_vrm_files()[0]
    first = applier.apply(path)
    second = applier.apply(real_vrm_files()[1])  # overtakes the first while both wait
    assert first.result(1).status == "superseded"
    with supervisor:
        result = second.result(30)
    assert result.status == "applied"
    assert result.applied is not None and result.applied.sha256 == sha256(real_vrm_files()[1])


def test_parked_selection_fails_when_the_stage_will_not_come(data_dir: DataPaths) -> None:
    bridge = StageBridge()
    applier = StageApplier(bridge, data_dir.stage_dir / "models")
    pending = applier.apply(real_vrm_files()[0])
    applier.fail_waiting(StageError("the stage gave up", reason="stage-failed"))
    with pytest.raises(StageError) as exc:
        pending.result(1)
    assert exc.value.reason == "stage-failed"


def stage_copies(data_dir: DataPaths) -> list[str]:
    return sorted(p.name for p in (data_dir.stage_dir / "models").glob("*.vrm"))


def test_old_stage_copies_are_collected(stage: Stage, data_dir: DataPaths, tmp_path: Path) -> None:
    """Apply A, then B: once B is shown only B's copy is left in stage/models."""
    library = tmp_path / "models"  # content-addressed, as the model library keeps them
    library.mkdir()
    first, second = real_vrm_files()[:2]
    entries = []
    for path in (first, second):
        target = library / f"{sha256(path)}.vrm"
        target.write_bytes(path.read_bytes())
        entries.append(target)
    a = stage.applier.apply(entries[0], model_id=sha256(first)).result(60)
    assert a.status == "applied", a
    assert stage_copies(data_dir) == [f"{sha256(first)}.vrm"]
    b = stage.applier.apply(entries[1], model_id=sha256(second)).result(60)
    assert b.status == "applied", b
    assert stage_copies(data_dir) == [f"{sha256(second)}.vrm"]
    # Only the stage's own copy (a hard link) went; the library file it came from stays.
    assert entries[0].read_bytes() == first.read_bytes()


def test_reapplying_reimports_only_when_the_bytes_changed(
    stage: Stage, data_dir: DataPaths, tmp_path: Path
) -> None:
    """Same model id and file: unchanged while the hash is the same, re-imported once it is not."""
    original, replacement = real_vrm_files()[:2]
    user_file = tmp_path / "my-avatar.vrm"
    user_file.write_bytes(original.read_bytes())
    first = stage.applier.apply(user_file, model_id="my-avatar").result(60)
    assert first.status == "applied", first
    again = stage.applier.apply(user_file, model_id="my-avatar").result(60)
    assert again.status == "unchanged" and again.applied == first.applied
    assert again.request_id is None  # nothing was sent to the stage

    user_file.write_bytes(replacement.read_bytes())  # new bytes under the same id and name
    changed = stage.applier.apply(user_file, model_id="my-avatar").result(60)
    assert changed.status == "applied", changed
    assert changed.request_id not in (None, first.request_id)
    assert changed.applied is not None and changed.applied.sha256 == sha256(replacement)
    assert changed.applied.modelId == "my-avatar"
    assert stage.applier.shown == changed.applied
    assert stage_copies(data_dir) == [f"{sha256(replacement)}.vrm"]

"""`godot fetch` against the real Debian mirror, when a pinned version has left it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.godot.fetch import STAMP_NAME, fetch_runtime
from app.godot.lock import load_lock
from app.godot.places import default_apt_dir, lock_path

pytestmark = [pytest.mark.godot, pytest.mark.e2e]

GONE = "0.0~gone-1"


@pytest.mark.expected_log(r"^x11-common 0\.0~gone-1 has left the mirror")
def test_a_vanished_pin_is_replaced_with_a_warning_then_update_lock_rewrites_it(
        tmp_path: Path) -> None:
    committed = lock_path().read_text(encoding="utf-8")
    document = json.loads(committed)
    victim = next(p for p in document["packages"]["headless"] if p["name"] == "x11-common")
    victim["version"], victim["sha256"] = GONE, "0" * 64  # a version no mirror has
    lock_file = tmp_path / "godot.lock"
    lock_file.write_text(json.dumps(document, indent=2))
    dest = tmp_path / "runtime"
    progress: list[str] = []

    result = fetch_runtime(lock_file=lock_file, dest=dest, apt_dir=default_apt_dir(),
                           progress=progress.append)
    assert result.fetched and len(result.warnings) == 1
    warning = result.warnings[0]
    assert warning.startswith(f"x11-common {GONE} has left the mirror; using the current ")
    candidate = warning.split("candidate ")[1].split(" ")[0]
    assert any("warning: x11-common" in line for line in progress)
    assert lock_file.read_text() == json.dumps(document, indent=2)  # warned, not rewritten
    version = subprocess.run([str(dest / "godot"), "--headless", "--version"], capture_output=True,
                             text=True, timeout=60, check=True).stdout
    assert version.startswith("4.")
    assert json.loads((dest / STAMP_NAME).read_text())["substituted"] is True

    result = fetch_runtime(lock_file=lock_file, dest=dest, apt_dir=default_apt_dir(),
                           update_lock=True, progress=progress.append)
    rewritten = load_lock(lock_file)
    pinned = {p.name: p for p in rewritten.all_packages()}
    assert pinned["x11-common"].version == candidate != GONE
    assert len(pinned["x11-common"].sha256) == 64
    assert f"godot fetch: lock x11-common: {GONE} -> {candidate}" in progress
    assert json.loads((dest / STAMP_NAME).read_text())["lock_sha256"] == rewritten.sha256
    assert result.warnings == []


def test_two_fetches_at_once_unpack_once(tmp_path: Path) -> None:
    """Two set-up scripts started together: one fetches, the other waits and finds it done."""
    dest = tmp_path / "runtime"
    argv = [sys.executable, "-m", "app", "godot", "fetch", "--dest", str(dest), "--json"]
    runs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outcomes = []
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
        outcomes.append(json.loads(out))
    assert sorted(o["fetched"] for o in outcomes) == [False, True]
    assert {o["launcher"] for o in outcomes} == {str(dest / "godot")}
    assert not list(tmp_path.glob(".runtime.*"))  # no staging folder left behind

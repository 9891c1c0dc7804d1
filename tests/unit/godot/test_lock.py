"""The committed lock is complete and host-free; a damaged lock is refused, never half-used."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from app.errors import GodotRuntimeError
from app.godot.lock import deb_file_name, dump_lock, load_lock, parse_lock, write_lock
from app.godot.places import lock_path

REPO_LOCK = Path(__file__).resolve().parents[3] / "vendor" / "godot" / "godot.lock"


def _package(name: str, **over: Any) -> dict[str, Any]:
    entry = {"name": name, "version": "1.0-1", "arch": "amd64",
             "filename": f"pool/main/x/{name}/{name}_1.0-1_amd64.deb", "size": 10,
             "sha256": "a" * 64}
    entry.update(over)
    return entry


def _doc(**over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format": 1, "suite": "sid", "arch": "amd64", "godot_version": "4.6.3+ds-3",
        "roots": {"headless": ["godot"], "render": ["libgl1-mesa-dri"]},
        "packages": {"headless": [_package("godot"), _package("libc6")],
                     "render": [_package("libgl1-mesa-dri")]},
    }
    doc.update(over)
    return doc


def test_the_committed_lock_is_valid_and_complete() -> None:
    assert lock_path() == REPO_LOCK
    lock = load_lock(REPO_LOCK)
    names = {p.name for p in lock.packages["headless"]}
    render = {p.name for p in lock.packages["render"]}
    assert lock.suite == "sid"
    assert {"godot", "libc6", "libstdc++6"} <= names  # runs through its own loader and libc
    assert {"libgl1-mesa-dri", "libegl-mesa0", "libglx-mesa0"} <= render
    assert not names & render
    assert re.match(r"^4\.\d+", lock.godot_version)
    assert len(lock.sha256) == 64


def test_the_committed_lock_names_no_host() -> None:
    text = REPO_LOCK.read_text(encoding="utf-8")
    assert "://" not in text
    assert not re.search(r"\b[a-z0-9-]+\.(org|com|net|io)\b", text)


def test_dump_then_parse_round_trips(tmp_path: Path) -> None:
    lock = parse_lock(json.dumps(_doc()))
    write_lock(tmp_path / "godot.lock", lock)
    again = load_lock(tmp_path / "godot.lock")
    assert again == lock
    assert dump_lock(again) == (tmp_path / "godot.lock").read_text(encoding="utf-8")
    assert [p.name for p in again.selected(render=False)] == ["godot", "libc6"]
    assert [p.name for p in again.selected(render=True)][-1] == "libgl1-mesa-dri"


def test_lock_hash_follows_the_bytes() -> None:
    a = parse_lock(json.dumps(_doc()))
    b = parse_lock(json.dumps(_doc(), indent=1))
    assert a.sha256 != b.sha256


@pytest.mark.parametrize(("doc", "fragment"), [
    (_doc(format=2), "unsupported format"),
    (_doc(packages={"headless": [_package("godot")]}), "exactly the sets"),
    (_doc(packages={"headless": [_package("libc6")], "render": []}), "must contain the godot"),
    (_doc(packages={"headless": [_package("godot"), _package("godot")], "render": []}),
     "listed twice"),
    (_doc(packages={"headless": [_package("godot", sha256="xyz")], "render": []}), "'sha256'"),
    (_doc(packages={"headless": [_package("godot", size=0)], "render": []}), "'size'"),
    (_doc(packages={"headless": [_package("godot", filename="http://x/y.deb")], "render": []}),
     "below the mirror root"),
    (_doc(packages={"headless": [_package("godot", filename="../etc/passwd")], "render": []}),
     "below the mirror root"),
    (_doc(packages={"headless": [_package("godot", version="1 0")], "render": []}), "'version'"),
])
def test_defects_are_refused_with_bad_lock(doc: dict[str, Any], fragment: str) -> None:
    with pytest.raises(GodotRuntimeError) as caught:
        parse_lock(json.dumps(doc))
    assert caught.value.reason == "bad-lock"
    assert fragment in caught.value.message


def test_not_json_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(GodotRuntimeError) as caught:
        parse_lock("{nope")
    assert caught.value.reason == "bad-lock"
    with pytest.raises(GodotRuntimeError) as caught:
        load_lock(tmp_path / "absent.lock")
    assert caught.value.reason == "lock-not-found"


def test_deb_file_name_encodes_the_epoch() -> None:
    assert deb_file_name("libx11-6", "2:1.8.12-1", "amd64") == "libx11-6_2%3a1.8.12-1_amd64.deb"
    assert deb_file_name("debconf", "1.5.92", "all") == "debconf_1.5.92_all.deb"

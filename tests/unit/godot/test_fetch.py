"""Fetching never runs tampered or mismatched packages and never overwrites a foreign folder."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from app.errors import GodotRuntimeError
from app.godot.apt import AptRecord, parse_records
from app.godot.fetch import STAMP_NAME, fetch_runtime, substitute_missing, verify_debs
from app.godot.launcher import launcher_script, write_launcher
from app.godot.lock import LockedPackage, load_lock, write_lock
from app.godot.mirror import MIRROR_ENV

REPO_LOCK = Path(__file__).resolve().parents[3] / "vendor" / "godot" / "godot.lock"


def _real_deb(folder: Path, name: str, payload: bytes) -> LockedPackage:
    """A package whose file exists with known bytes (a .deb is just bytes to the check)."""
    package = LockedPackage(name=name, version="2:1.0-1", arch="amd64",
                            filename=f"pool/main/{name}.deb", size=len(payload),
                            sha256=hashlib.sha256(payload).hexdigest())
    (folder / package.deb_name).write_bytes(payload)
    return package


def test_verify_accepts_files_with_the_pinned_sha256(tmp_path: Path) -> None:
    packages = [_real_deb(tmp_path, "liba", b"a" * 1000), _real_deb(tmp_path, "libb", b"b")]
    verify_debs(packages, tmp_path)
    assert all((tmp_path / p.deb_name).is_file() for p in packages)


def test_verify_refuses_and_deletes_a_tampered_file(tmp_path: Path) -> None:
    good = _real_deb(tmp_path, "liba", b"original bytes")
    bad = _real_deb(tmp_path, "libb", b"original bytes too")
    (tmp_path / bad.deb_name).write_bytes(b"original bytes to0")  # same size, other content
    with pytest.raises(GodotRuntimeError) as caught:
        verify_debs([good, bad], tmp_path)
    assert caught.value.reason == "sha256-mismatch"
    assert bad.sha256 in caught.value.message
    assert not (tmp_path / bad.deb_name).exists()
    assert (tmp_path / good.deb_name).exists()


def test_verify_reports_a_file_apt_did_not_deliver(tmp_path: Path) -> None:
    package = _real_deb(tmp_path, "liba", b"x")
    (tmp_path / package.deb_name).unlink()
    with pytest.raises(GodotRuntimeError) as caught:
        verify_debs([package], tmp_path)
    assert caught.value.reason == "download-failed"


def _record(pin: LockedPackage, **over: object) -> AptRecord:
    fields = {"name": pin.name, "version": pin.version, "arch": pin.arch,
              "filename": pin.filename, "size": pin.size, "sha256": pin.sha256}
    fields.update(over)
    return AptRecord(**fields)  # type: ignore[arg-type]


def test_pins_present_in_the_index_are_kept(tmp_path: Path) -> None:
    pin = _real_deb(tmp_path, "liba", b"a")
    chosen, warnings = substitute_missing([pin], [_record(pin)])
    assert chosen == [pin] and warnings == []


def test_an_index_with_other_bytes_for_the_pinned_version_is_refused(tmp_path: Path) -> None:
    pin = _real_deb(tmp_path, "liba", b"a")
    with pytest.raises(GodotRuntimeError) as caught:
        substitute_missing([pin], [_record(pin, sha256="b" * 64)])
    assert caught.value.reason == "sha256-mismatch"


def test_a_version_that_left_the_mirror_becomes_the_candidate_with_a_warning(
        tmp_path: Path) -> None:
    pin = _real_deb(tmp_path, "liba", b"a")
    newer = _record(pin, version="2:1.2-1", sha256="c" * 64, size=5)
    chosen, warnings = substitute_missing([pin], [_record(pin, version="2:1.1-1"), newer])
    assert chosen[0].version == "2:1.2-1" and chosen[0].sha256 == "c" * 64
    assert len(warnings) == 1 and "--update-lock" in warnings[0] and "2:1.0-1" in warnings[0]


def test_a_package_gone_from_the_suite_is_an_error(tmp_path: Path) -> None:
    pin = _real_deb(tmp_path, "liba", b"a")
    with pytest.raises(GodotRuntimeError) as caught:
        substitute_missing([pin], [])
    assert caught.value.reason == "package-gone"


def test_apt_cache_show_records_are_parsed() -> None:
    text = (
        "Package: godot\nVersion: 4.6.3+ds-3\nArchitecture: amd64\nDepends: libc6 (>= 2.43),\n"
        " libx11-6\nFilename: pool/main/g/godot/godot_4.6.3+ds-3_amd64.deb\nSize: 62203424\n"
        f"SHA256: {'d' * 64}\nDescription: engine\n\n"
        "Package: incomplete\nVersion: 1\n\n"
    )
    [record] = parse_records(text)
    assert record.name == "godot" and record.size == 62203424 and record.sha256 == "d" * 64
    assert "libx11-6" in record.depends


def _fake_runtime(dest: Path, lock_sha: str, render: bool) -> None:
    (dest / "usr" / "bin").mkdir(parents=True)
    (dest / "usr" / "bin" / "godot").write_bytes(b"")
    write_launcher(dest)
    (dest / STAMP_NAME).write_text(json.dumps({
        "lock_sha256": lock_sha, "render": render, "godot_version": "4.6.3.stable",
        "packages": 131}))


def test_an_up_to_date_runtime_is_left_alone_without_touching_apt(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")  # no apt-get, no network: must not be needed
    lock = load_lock(REPO_LOCK)
    _fake_runtime(tmp_path / "rt", lock.sha256, render=True)
    for render in (False, True):
        result = fetch_runtime(lock_file=REPO_LOCK, dest=tmp_path / "rt",
                               apt_dir=tmp_path / "apt", render=render)
        assert not result.fetched and result.render and result.packages == 131
    assert not (tmp_path / "apt").exists()


def test_an_outdated_launcher_is_rewritten_in_place(tmp_path: Path) -> None:
    lock = load_lock(REPO_LOCK)
    _fake_runtime(tmp_path / "rt", lock.sha256, render=False)
    (tmp_path / "rt" / "godot").write_text("#!/bin/sh\nexec old-launcher\n")
    result = fetch_runtime(lock_file=REPO_LOCK, dest=tmp_path / "rt", apt_dir=tmp_path / "apt")
    assert not result.fetched
    assert (tmp_path / "rt" / "godot").read_text() == launcher_script()


def test_a_stale_stamp_or_missing_render_set_means_work(tmp_path: Path) -> None:
    """Stale runtimes go on to a real apt run; a failing one leaves the old runtime intact."""
    empty_mirror = tmp_path / "empty-mirror"
    empty_mirror.mkdir()
    lock = load_lock(REPO_LOCK)
    _fake_runtime(tmp_path / "headless-only", lock.sha256, render=False)
    _fake_runtime(tmp_path / "old", "0" * 64, render=True)
    for dest, render in ((tmp_path / "headless-only", True), (tmp_path / "old", False)):
        with pytest.raises(GodotRuntimeError) as caught:
            fetch_runtime(lock_file=REPO_LOCK, dest=dest, apt_dir=tmp_path / "apt", render=render,
                          environ={MIRROR_ENV: f"file:{empty_mirror}"})
        assert caught.value.reason == "apt-failed"
        assert "Release" in caught.value.message
        assert (dest / STAMP_NAME).is_file()  # the old runtime is untouched


def test_a_folder_that_is_not_a_runtime_is_never_overwritten(tmp_path: Path) -> None:
    dest = tmp_path / "documents"
    dest.mkdir()
    (dest / "thesis.odt").write_bytes(b"precious")
    with pytest.raises(GodotRuntimeError) as caught:
        fetch_runtime(lock_file=REPO_LOCK, dest=dest, apt_dir=tmp_path / "apt")
    assert caught.value.reason == "dest-not-runtime"
    assert (dest / "thesis.odt").read_bytes() == b"precious"


def test_update_lock_on_a_bad_lock_file_refuses_before_any_download(tmp_path: Path) -> None:
    bad = tmp_path / "godot.lock"
    bad.write_text("{}")
    with pytest.raises(GodotRuntimeError) as caught:
        fetch_runtime(lock_file=bad, dest=tmp_path / "rt", apt_dir=tmp_path / "apt",
                      update_lock=True)
    assert caught.value.reason == "bad-lock"
    lock = load_lock(REPO_LOCK)
    write_lock(tmp_path / "copy.lock", lock)
    assert load_lock(tmp_path / "copy.lock").packages == lock.packages

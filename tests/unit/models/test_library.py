"""The library on real files: content-addressed, cancellable, and nothing lost on failure."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import threading
from pathlib import Path

import pytest

from app.errors import LibraryError, ModelError
from app.models.library import COPY_CHUNK_BYTES, ModelLibrary
from tests.conftest import REAL_FIXTURES, real_vrm_files
from tests.unit.models.glbkit import Glb, split_glb

BUILTIN = REAL_FIXTURES / "sphere_vrm0.vrm"


@pytest.fixture
def library(tmp_path: Path) -> ModelLibrary:
    """A library whose built-in avatar is a real fixture (the shipped one is tested below)."""
    return ModelLibrary(tmp_path / "models", builtin=lambda: BUILTIN)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _big_vrm(tmp_path: Path, extra: int) -> Path:
    """A valid VRM padded with ``extra`` bytes of payload, so it spans many copy chunks."""
    glb = split_glb((REAL_FIXTURES / "debug_robot_vrm1.vrm").read_bytes())
    start = len(glb.bin)
    glb.bin += bytes(range(256)) * (extra // 256)
    glb.doc["buffers"][0]["byteLength"] = len(glb.bin)
    glb.doc["bufferViews"].append(
        {"buffer": 0, "byteOffset": start, "byteLength": len(glb.bin) - start}
    )
    return glb.write(tmp_path / "big.vrm")


def _files(library: ModelLibrary) -> list[str]:
    return sorted(p.name for p in library.models_dir.iterdir())


def test_import_stores_content_addressed_copies(library: ModelLibrary) -> None:
    sources = [p for p in real_vrm_files() if p != BUILTIN]
    for source in sources:
        outcome = library.import_file(source)
        assert outcome.added
        assert outcome.entry.id == _sha(source)
        assert outcome.entry.path == library.models_dir / f"{_sha(source)}.vrm"
        assert outcome.entry.path.read_bytes() == source.read_bytes()
        assert outcome.entry.original_name == source.name
        assert not outcome.entry.builtin
    entries = library.list()
    assert entries[0].builtin and entries[0].id == _sha(BUILTIN) and entries[0].title == "sphere"
    # Imports newest first.
    assert [e.original_name for e in entries[1:]] == [p.name for p in reversed(sources)]
    index = json.loads(library.index_path.read_text())
    assert {m["id"] for m in index["models"]} == {_sha(p) for p in sources}
    assert _files(library) == sorted([f"{_sha(p)}.vrm" for p in sources] + ["index.json"])
    godette = library.get(_sha(REAL_FIXTURES / "godette_vrm0.vrm"))
    assert (godette.title, godette.authors, godette.vrm_version) == (
        "Low-Poly Godette",
        ["SirRichard94"],
        "0.x",
    )
    assert godette.licence_summary.startswith("CC BY")


def test_same_file_twice_is_stored_once(library: ModelLibrary, tmp_path: Path) -> None:
    source = REAL_FIXTURES / "godette_vrm0.vrm"
    first = library.import_file(source)
    renamed = tmp_path / "copy-with-other-name.vrm"
    renamed.write_bytes(source.read_bytes())
    second = library.import_file(renamed)
    assert first.added and not second.added
    assert second.entry == first.entry
    assert len([n for n in _files(library) if n.endswith(".vrm")]) == 1


def test_importing_the_builtin_avatar_finds_it(library: ModelLibrary) -> None:
    outcome = library.import_file(BUILTIN)
    assert not outcome.added and outcome.entry.builtin
    assert _files(library) == []


def test_progress_is_reported_up_to_the_total(library: ModelLibrary, tmp_path: Path) -> None:
    source = _big_vrm(tmp_path, 5 * COPY_CHUNK_BYTES + 1000)
    calls: list[tuple[int, int]] = []
    library.import_file(source, progress=lambda done, total: calls.append((done, total)))
    size = source.stat().st_size
    assert calls[0] == (0, size) and calls[-1] == (size, size)
    assert len(calls) >= 7
    assert all(a[0] < b[0] for a, b in itertools.pairwise(calls))


def test_cancelled_import_leaves_nothing_behind(library: ModelLibrary, tmp_path: Path) -> None:
    kept = library.import_file(REAL_FIXTURES / "godette_vrm0.vrm").entry
    index_before = library.index_path.read_bytes()
    source = _big_vrm(tmp_path, 8 * COPY_CHUNK_BYTES)
    cancel = threading.Event()
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if done >= 2 * COPY_CHUNK_BYTES:
            cancel.set()

    with pytest.raises(ModelError) as raised:
        library.import_file(source, progress=progress, cancel=cancel)
    assert raised.value.reason == "cancelled"
    assert max(seen) < source.stat().st_size  # it really stopped part-way
    assert _files(library) == sorted([f"{kept.id}.vrm", "index.json"])  # no temporary file left
    assert library.index_path.read_bytes() == index_before
    assert [e.id for e in library.list() if not e.builtin] == [kept.id]


def test_cancel_before_start(library: ModelLibrary) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ModelError) as raised:
        library.import_file(REAL_FIXTURES / "godette_vrm0.vrm", cancel=cancel)
    assert raised.value.reason == "cancelled"
    assert not library.models_dir.exists() or _files(library) == []


@pytest.mark.expected_log(r"^Refused to import ")
def test_failed_import_keeps_existing_entries(library: ModelLibrary, tmp_path: Path) -> None:
    kept = library.import_file(REAL_FIXTURES / "godette_vrm0.vrm").entry
    index_before = library.index_path.read_bytes()
    broken = tmp_path / "broken.vrm"
    broken.write_bytes((REAL_FIXTURES / "cryptovoxels_vrm0.vrm").read_bytes()[:5000])
    with pytest.raises(ModelError) as raised:
        library.import_file(broken)
    assert raised.value.reason == "truncated"
    with pytest.raises(ModelError) as raised:
        library.import_file(tmp_path / "missing.vrm")
    assert raised.value.reason == "not-found"
    assert library.index_path.read_bytes() == index_before
    assert _files(library) == sorted([f"{kept.id}.vrm", "index.json"])
    assert kept.path.read_bytes() == (REAL_FIXTURES / "godette_vrm0.vrm").read_bytes()


@pytest.mark.expected_log(r"^Refused to import ")
def test_size_limit_applies_to_imports(tmp_path: Path) -> None:
    source = REAL_FIXTURES / "godette_vrm0.vrm"
    small = ModelLibrary(tmp_path / "models", max_bytes=source.stat().st_size - 1, builtin=None)
    with pytest.raises(ModelError) as raised:
        small.import_file(source)
    assert raised.value.reason == "too-large"


def test_remove(library: ModelLibrary) -> None:
    godette = library.import_file(REAL_FIXTURES / "godette_vrm0.vrm").entry
    robot = library.import_file(REAL_FIXTURES / "debug_robot_vrm1.vrm").entry
    library.remove(godette.id)
    assert not godette.path.exists()
    assert [e.id for e in library.list()] == [_sha(BUILTIN), robot.id]
    with pytest.raises(LibraryError) as raised:
        library.get(godette.id)
    assert raised.value.reason == "unknown-model"
    with pytest.raises(LibraryError) as raised:
        library.remove(godette.id)
    assert raised.value.reason == "unknown-model"
    with pytest.raises(LibraryError) as raised:
        library.remove(_sha(BUILTIN))
    assert raised.value.reason == "builtin-model"
    assert BUILTIN.exists()


def test_thumbnail(library: ModelLibrary) -> None:
    godette = library.import_file(REAL_FIXTURES / "godette_vrm0.vrm").entry
    thumb = library.thumbnail(godette.id)
    assert thumb is not None and thumb.startswith(b"\xff\xd8\xff") and len(thumb) > 10_000
    assert library.thumbnail(_sha(BUILTIN)) is None  # the sphere has none


def test_find_by_unique_prefix(library: ModelLibrary, tmp_path: Path) -> None:
    base = split_glb((REAL_FIXTURES / "debug_robot_vrm1.vrm").read_bytes())
    ids = []
    for n in range(17):  # 17 ids: at least two share a first hex digit
        variant = Glb(dict(base.doc), base.bin)
        variant.doc["extensions"] = json.loads(json.dumps(base.doc["extensions"]))
        variant.doc["extensions"]["VRMC_vrm"]["meta"]["name"] = f"robot {n}"
        ids.append(library.import_file(variant.write(tmp_path / f"robot{n}.vrm")).entry.id)
    assert library.find(ids[5]).title == "robot 5"
    assert library.find(ids[5][:20].upper()).id == ids[5]
    digits = [i[0] for i in [*ids, _sha(BUILTIN)]]
    shared = next(d for d in digits if digits.count(d) > 1)
    with pytest.raises(LibraryError) as raised:
        library.find(shared)
    assert raised.value.reason == "ambiguous-model"
    unique = next(
        i for i in ids if not any(o != i and o.startswith(i[:3]) for o in [*ids, _sha(BUILTIN)])
    )
    assert library.find(unique[:3]).id == unique
    for wrong in ("", "xyz", "0" * 64):
        with pytest.raises(LibraryError) as raised:
            library.find(wrong)
        assert raised.value.reason == "unknown-model"


@pytest.mark.expected_log(r"^Model index .* is damaged")
def test_damaged_index_is_rebuilt_from_the_files(library: ModelLibrary) -> None:
    godette = library.import_file(REAL_FIXTURES / "godette_vrm0.vrm").entry
    robot = library.import_file(REAL_FIXTURES / "debug_robot_vrm1.vrm").entry
    library.index_path.write_text("{ this is not json")
    entries = {e.id: e for e in library.list()}
    assert set(entries) == {_sha(BUILTIN), godette.id, robot.id}
    assert entries[godette.id].title == "Low-Poly Godette"
    assert list(library.models_dir.glob("index.json.corrupt-*"))
    assert {m["id"] for m in json.loads(library.index_path.read_text())["models"]} == {
        godette.id,
        robot.id,
    }


@pytest.mark.expected_log(r"^Ignoring .* in the model library")
def test_vanished_file_drops_out_and_stray_junk_is_ignored(library: ModelLibrary) -> None:
    godette = library.import_file(REAL_FIXTURES / "godette_vrm0.vrm").entry
    robot = library.import_file(REAL_FIXTURES / "debug_robot_vrm1.vrm").entry
    robot.path.unlink()
    (library.models_dir / f"{'a' * 64}.vrm").write_bytes(b"not a model")
    assert [e.id for e in library.list()] == [_sha(BUILTIN), godette.id]


def test_shipped_default_avatar_is_the_builtin_entry(tmp_path: Path) -> None:
    from app.avatar import default_avatar_path

    library = ModelLibrary(tmp_path / "models")
    first = library.list()[0]
    assert first.builtin
    assert first.path == default_avatar_path()
    assert first.id == _sha(default_avatar_path())


def test_the_builtin_entry_comes_from_its_shipped_metadata_without_parsing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Selecting the default is the first thing a new user does: no ~140 ms glTF parse."""
    import shutil

    from app.avatar import default_avatar_path

    bare = tmp_path / "bare" / "default.vrm"  # the same avatar without its metadata file
    bare.parent.mkdir()
    shutil.copyfile(default_avatar_path(), bare)
    inspected = ModelLibrary(tmp_path / "a", builtin=lambda: bare).builtin_entry()
    assert inspected is not None

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("the built-in avatar was parsed")

    monkeypatch.setattr("app.models.library.inspect_file", no_parsing)
    shipped = ModelLibrary(tmp_path / "b").builtin_entry()
    assert shipped is not None
    assert shipped == dataclasses.replace(inspected, path=default_avatar_path(),
                                          original_name=default_avatar_path().name)


@pytest.mark.parametrize("metadata", [
    {"sha256": "0" * 64, "title": "Stale", "authors": [], "vrmVersion": "1.0",
     "licenceSummary": ""},
    {"sha256": "<the file's>", "title": 7, "authors": [], "vrmVersion": "1.0",
     "licenceSummary": ""},
    "not JSON {",
])
def test_stale_or_broken_builtin_metadata_is_ignored(
        tmp_path: Path, metadata: object) -> None:
    import shutil

    from app.avatar import default_avatar_path
    from app.models.library import builtin_meta_path

    copy = tmp_path / "default.vrm"
    shutil.copyfile(default_avatar_path(), copy)
    if isinstance(metadata, dict):
        metadata = json.dumps({**metadata, "sha256": metadata["sha256"].replace(
            "<the file's>", _sha(copy))})
    builtin_meta_path(copy).write_text(str(metadata))
    entry = ModelLibrary(tmp_path / "models", builtin=lambda: copy).builtin_entry()
    assert entry is not None and entry.title == "Companion Stage Default"  # read from the file


def test_finding_an_imported_model_does_not_inspect_the_builtin_avatar(tmp_path: Path) -> None:
    """`models select ID` is one process per call: inspecting the shipped avatar cost ~250 ms."""
    from app.avatar import default_avatar_path

    inspected: list[Path] = []
    library = ModelLibrary(tmp_path / "models")
    sphere = library.import_file(REAL_FIXTURES / "sphere_vrm0.vrm").entry
    fresh = ModelLibrary(tmp_path / "models")
    original = fresh.builtin_entry

    def counting() -> object:
        inspected.append(default_avatar_path())
        return original()

    fresh.builtin_entry = counting  # type: ignore[assignment, method-assign]
    assert fresh.find(sphere.id[:8]).id == sphere.id
    assert fresh.get(sphere.id).id == sphere.id
    assert inspected == []
    builtin_id = _sha(default_avatar_path())
    assert fresh.find(builtin_id[:8]).builtin and len(inspected) == 1


def test_concurrent_imports_of_the_same_files(library: ModelLibrary) -> None:
    sources = [REAL_FIXTURES / "godette_vrm0.vrm", REAL_FIXTURES / "debug_robot_vrm1.vrm"]
    outcomes: list[bool] = []
    errors: list[BaseException] = []

    def work(source: Path) -> None:
        try:
            outcomes.append(library.import_file(source).added)
        except BaseException as exc:  # collected and re-raised by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(sources[n % 2],)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(outcomes) == [False] * 4 + [True] * 2
    assert {e.id for e in library.list() if not e.builtin} == {_sha(p) for p in sources}
    assert _files(library) == sorted([*(f"{_sha(p)}.vrm" for p in sources), "index.json"])

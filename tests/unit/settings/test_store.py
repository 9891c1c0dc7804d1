"""Settings survive anything on disk: bad values, corrupt or newer files cost no other setting."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from app.settings import SCHEMA_VERSION, Settings, SettingsStore
from app.settings.fields import describe


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    result = SettingsStore(tmp_path / "settings.json").load()
    assert result.settings == Settings()
    assert result.notices == []


def test_round_trip(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "settings.json")
    settings = Settings()
    settings.models.selected = "abc"
    settings.stage.window_width = 640
    settings.shortcuts.bindings["toggle-stage"] = "Alt+F1"
    store.save(settings)
    assert store.load().settings == settings
    assert not list(tmp_path.glob(".settings.json.*"))  # no temp file left behind


@pytest.mark.expected_log(r"^Settings file is not valid JSON")
def test_corrupt_file_is_kept_aside_and_defaults_used(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"models": {"selected": "abc"', encoding="utf-8")
    result = SettingsStore(path).load()
    assert result.settings == Settings()
    assert [n.kind for n in result.notices] == ["corrupt"]
    kept = result.notices[0].kept_as
    assert kept is not None and kept.name.startswith("settings.json.corrupt-")
    assert kept.read_text(encoding="utf-8") == '{"models": {"selected": "abc"'
    assert "not valid JSON" in result.notices[0].message


@pytest.mark.expected_log(
    r"^Setting stage\.borderless: expected", r"^Setting models\.max_import_bytes: expected"
)
def test_bad_value_costs_only_that_value(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"models": {"selected": "abc", "max_import_bytes": "big"},
                                "stage": {"borderless": 1, "ready_timeout_s": 5}}),
                    encoding="utf-8")
    result = SettingsStore(path).load()
    assert result.settings.models.selected == "abc"
    assert result.settings.models.max_import_bytes == Settings().models.max_import_bytes
    assert result.settings.stage.borderless is True  # 1 is not a bool: default kept
    assert result.settings.stage.ready_timeout_s == 5.0
    assert sorted(n.message.split(":")[0] for n in result.notices) == [
        "Setting models.max_import_bytes", "Setting stage.borderless"]


@pytest.mark.expected_log(r"^Settings were written by a newer")
def test_newer_schema_is_copied_aside(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"schema_version": SCHEMA_VERSION + 1, "models": {"selected": "x"}}),
                    encoding="utf-8")
    result = SettingsStore(path).load()
    assert result.settings.models.selected == "x"
    assert result.notices[0].kind == "newer-version"
    assert result.notices[0].kept_as is not None and result.notices[0].kept_as.exists()


@pytest.mark.expected_log(r"^Setting (models|stage|godot)(\.path)?: expected")
@hsettings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(),
                    lambda c: st.lists(c) | st.dictionaries(st.text(), c), max_leaves=20))
def test_any_json_loads_without_raising(value: object) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "settings.json"
        path.write_text(json.dumps({"schema_version": 1, "models": value, "stage": value,
                                    "godot": value}), encoding="utf-8")
        loaded = SettingsStore(path).load().settings
        assert isinstance(loaded, Settings)


def _version_1_file(path: Path, stage: dict[str, object], **more: object) -> None:
    path.write_text(json.dumps({"schema_version": 1, "stage": stage, **more}), encoding="utf-8")


def test_version_1_godot_path_moves_to_its_own_section(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    _version_1_file(path, {"godot_path": "/opt/godot/godot", "window_width": 640},
                    models={"selected": "abc"})
    store = SettingsStore(path)
    result = store.load()
    assert result.notices == []  # nothing the user has to act on
    assert result.settings.godot.path == "/opt/godot/godot"
    assert result.settings.stage.window_width == 640
    assert result.settings.models.selected == "abc"

    store.update(lambda s: None)  # the next save writes the new layout
    on_disk = json.loads(path.read_text(encoding="utf-8"))
    assert on_disk["schema_version"] == SCHEMA_VERSION == 2
    assert on_disk["godot"] == {"path": "/opt/godot/godot"}
    assert "godot_path" not in on_disk["stage"] and on_disk["stage"]["window_width"] == 640
    assert store.load().settings == result.settings


def test_migration_never_overwrites_a_godot_path_already_set(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    _version_1_file(path, {"godot_path": "/old/godot"}, godot={"path": "/new/godot"})
    assert SettingsStore(path).load().settings.godot.path == "/new/godot"


def test_a_file_without_a_version_is_read_as_version_1(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"stage": {"godot_path": "godot4"}}), encoding="utf-8")
    assert SettingsStore(path).load().settings.godot.path == "godot4"


@pytest.mark.expected_log(r"^Setting godot\.path: expected str, got 42")
def test_an_ill_typed_old_godot_path_costs_only_itself(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    _version_1_file(path, {"godot_path": 42, "borderless": False})
    result = SettingsStore(path).load()
    assert result.settings.godot.path == "" and result.settings.stage.borderless is False
    assert [n.kind for n in result.notices] == ["invalid-value"]


def test_concurrent_updates_lose_nothing(tmp_path: Path) -> None:
    import threading

    store = SettingsStore(tmp_path / "settings.json")

    def add(index: int) -> None:
        for step in range(20):
            key = f"a{index}-{step}"

            def bind(settings: Settings, key: str = key) -> None:
                settings.shortcuts.bindings[key] = "F1"

            store.update(bind)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bindings = store.load().settings.shortcuts.bindings
    expected = {f"a{i}-{s}" for i in range(4) for s in range(20)}
    assert {k for k in bindings if k.startswith("a")} == expected


def test_every_leaf_setting_is_described_once_with_its_real_default() -> None:
    rows = describe(Settings)
    names = [name for name, _, _, _ in rows]
    assert len(names) == len(set(names))
    assert [name for name, _, _, doc in rows if not doc] == []
    sections = {"models", "godot", "stage", "shortcuts", "speech", "privacy"}
    assert not sections & set(names)  # sections expand into their leaves
    by_name = {name: (kind, default) for name, kind, default, _ in rows}
    defaults = Settings()
    assert by_name["models.selected"] == ("str", defaults.models.selected)
    assert by_name["godot.path"] == ("str", "")
    assert by_name["stage.ready_timeout_s"] == ("float", defaults.stage.ready_timeout_s)
    assert by_name["shortcuts.bindings"] == ("dict", defaults.shortcuts.bindings)

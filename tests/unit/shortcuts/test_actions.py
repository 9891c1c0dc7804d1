"""App actions bound from settings, rebinding that never loses the working shortcut."""

from __future__ import annotations

import pytest

from app.paths import DataPaths
from app.settings import SettingsStore
from app.shortcuts.actions import ActionShortcuts
from app.shortcuts.backends.inapp import InAppBackend
from app.shortcuts.service import ShortcutService
from app.shortcuts.types import Binding


@pytest.fixture
def store(data_dir: DataPaths) -> SettingsStore:
    return SettingsStore(data_dir.settings_file)


@pytest.fixture
def service() -> ShortcutService:
    return ShortcutService([InAppBackend()])


def _bound(service: ShortcutService) -> dict[str, str]:
    return {entry.binding.id: entry.accelerator for entry in service.list()}


def test_defaults_are_bound(store: SettingsStore, service: ShortcutService) -> None:
    results = ActionShortcuts(service, store).bind_saved()
    assert all(r.ok for r in results.values())
    assert _bound(service) == {"toggle-stage": "CmdOrCtrl+Shift+K",
                               "open-settings": "CmdOrCtrl+Shift+Comma"}


def test_rebind_saves_the_canonical_form(store: SettingsStore, service: ShortcutService) -> None:
    actions = ActionShortcuts(service, store)
    actions.bind_saved()
    result = actions.rebind("toggle-stage", "alt + shift + KeyS")
    assert result.ok and result.accelerator == "Alt+Shift+S"
    saved = SettingsStore(store.path).load().settings.shortcuts.bindings
    assert saved["toggle-stage"] == "Alt+Shift+S"
    fresh = ShortcutService([InAppBackend()])
    ActionShortcuts(fresh, SettingsStore(store.path)).bind_saved()
    assert _bound(fresh)["toggle-stage"] == "Alt+Shift+S"


def test_failed_rebind_keeps_the_old_binding(store: SettingsStore,
                                             service: ShortcutService) -> None:
    store.update(lambda s: s.shortcuts.bindings.__setitem__("open-settings", "Ctrl+Alt+O"))
    actions = ActionShortcuts(service, store)
    actions.bind_saved()
    assert service.register(Binding("someone-else", "Ctrl+Alt+T")).ok
    before = store.path.read_text()
    conflict = actions.rebind("toggle-stage", "Ctrl+Alt+T")
    assert conflict.reason == "conflict"
    assert "previous shortcut CmdOrCtrl+Shift+K is still in use" in conflict.message
    invalid = actions.rebind("toggle-stage", "Ctrl+Alt+")
    assert invalid.reason == "invalid"
    assert _bound(service)["toggle-stage"] == "CmdOrCtrl+Shift+K"
    assert store.path.read_text() == before


def test_clear_and_reset(store: SettingsStore, service: ShortcutService) -> None:
    actions = ActionShortcuts(service, store)
    actions.bind_saved()
    actions.clear("open-settings")
    assert "open-settings" not in _bound(service)
    assert actions.saved()["open-settings"] == ""
    assert ActionShortcuts(ShortcutService([InAppBackend()]), store).bind_saved().keys() == {
        "toggle-stage"}
    assert actions.reset("open-settings").ok
    assert actions.saved()["open-settings"] == "CmdOrCtrl+Shift+Comma"


def test_unknown_action_is_invalid(store: SettingsStore, service: ShortcutService) -> None:
    result = ActionShortcuts(service, store).rebind("launch-rockets", "Ctrl+R")
    assert result.reason == "invalid" and "toggle-stage" in result.message


def test_a_change_made_outside_is_followed(store: SettingsStore,
                                           service: ShortcutService) -> None:
    actions = ActionShortcuts(service, store)
    actions.bind_saved()
    assert actions.follow_saved() == {}  # nothing changed: nothing touched
    store.update(lambda s: s.shortcuts.bindings.update({"toggle-stage": "alt+KeyT",
                                                         "open-settings": ""}))
    results = actions.follow_saved()
    assert results["toggle-stage"].ok and results.keys() == {"toggle-stage"}
    assert _bound(service) == {"toggle-stage": "Alt+T"}


def test_an_outside_change_that_cannot_be_bound_is_undone(store: SettingsStore,
                                                          service: ShortcutService) -> None:
    actions = ActionShortcuts(service, store)
    actions.bind_saved()
    assert service.register(Binding("someone-else", "Ctrl+Alt+T")).ok
    store.update(lambda s: s.shortcuts.bindings.__setitem__("toggle-stage", "Ctrl+Alt+T"))
    results = actions.follow_saved()
    assert results["toggle-stage"].reason == "conflict"
    assert _bound(service)["toggle-stage"] == "CmdOrCtrl+Shift+K"
    assert actions.saved()["toggle-stage"] == "CmdOrCtrl+Shift+K", "settings tell the truth"


def test_a_shortcut_that_failed_at_start_is_not_retried_or_lost(
    store: SettingsStore, service: ShortcutService
) -> None:
    assert service.register(Binding("someone-else", "CmdOrCtrl+Shift+K")).ok
    actions = ActionShortcuts(service, store)
    assert actions.bind_saved()["toggle-stage"].reason == "conflict"
    assert actions.follow_saved() == {}  # an unrelated settings change
    assert actions.saved()["toggle-stage"] == "CmdOrCtrl+Shift+K"

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

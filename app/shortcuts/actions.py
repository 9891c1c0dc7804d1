"""App actions with global shortcuts (toggle the stage, open settings) bound from settings.

Rebinding is transactional: the old combination is released only for the attempt,
and restored when the new one fails, so a typo or a conflict never leaves the user
without a working shortcut. Only successful changes are saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from app import log
from app.settings import SettingsStore
from app.settings.sections.shortcuts import DEFAULT_BINDINGS
from app.shortcuts.accelerator import AcceleratorError, parse_accelerator
from app.shortcuts.service import ShortcutService
from app.shortcuts.types import Binding, Result

__all__ = ["APP_ACTIONS", "ActionShortcuts", "AppAction", "saved_bindings"]


@dataclass(frozen=True)
class AppAction:
    id: str
    description: str


APP_ACTIONS: Final = (
    AppAction("toggle-stage", "Show or hide the stage window"),
    AppAction("open-settings", "Open the settings window"),
)
_BY_ID: Final = {action.id: action for action in APP_ACTIONS}


def saved_bindings(store: SettingsStore) -> dict[str, str]:
    """Each action's accelerator: the saved one, else its default ("" = unbound)."""
    bindings = store.load().settings.shortcuts.bindings
    return {a.id: bindings.get(a.id, DEFAULT_BINDINGS.get(a.id, "")) for a in APP_ACTIONS}


class ActionShortcuts:
    """Registers the app actions' shortcuts on a service and keeps settings in step."""

    def __init__(self, service: ShortcutService, store: SettingsStore) -> None:
        self._service = service
        self._store = store
        #: the saved accelerator each action was last bound from (even if that failed)
        self._applied: dict[str, str] = {}

    def saved(self) -> dict[str, str]:
        return saved_bindings(self._store)

    def bind_saved(self) -> dict[str, Result]:
        """Register every bound action; the results say which ones did not work and why."""
        results: dict[str, Result] = {}
        for action_id, accelerator in self.saved().items():
            self._applied[action_id] = accelerator
            if accelerator:
                results[action_id] = self._service.register(self._binding(action_id, accelerator))
        return results

    def rebind(self, action_id: str, accelerator: str) -> Result:
        """Bind ``action_id`` to ``accelerator``; on failure the previous binding stays."""
        if action_id not in _BY_ID:
            return Result(False, action_id, None, "invalid",
                          f"Unknown action {action_id!r}; known: {', '.join(_BY_ID)}.")
        result = self._swap(action_id, self.saved()[action_id], accelerator)
        if result.ok:
            bound = result.accelerator or accelerator
            self._store.update(lambda s: s.shortcuts.bindings.__setitem__(action_id, bound))
            self._applied[action_id] = bound
        return result

    def follow_saved(self) -> dict[str, Result]:
        """Settings changed outside the app (``companion-stage shortcuts set``): follow them.

        Only actions whose saved accelerator changed since this app last bound them are
        touched (a shortcut that failed at start is not retried on every unrelated
        change). When the new one cannot be bound the old one is restored *and written
        back*, so the settings never claim a shortcut the app could not take.
        """
        held = {e.binding.id: e.accelerator for e in self._service.list()}
        results: dict[str, Result] = {}
        for action_id, wanted in self.saved().items():
            previous = self._applied.get(action_id, "")
            if _canonical(wanted) == _canonical(previous):
                continue
            if not wanted:
                self._service.unregister(action_id)
                self._applied[action_id] = ""
                log.shortcuts.info("%s was cleared outside the app", action_id)
                continue
            result = self._swap(action_id, held.get(action_id, ""), wanted)
            if result.ok:
                self._applied[action_id] = wanted
            else:
                self._write_back(action_id, previous)
            results[action_id] = result
        return results

    def _write_back(self, action_id: str, accelerator: str) -> None:
        self._store.update(lambda s: s.shortcuts.bindings.__setitem__(action_id, accelerator))

    def _swap(self, action_id: str, old: str, accelerator: str) -> Result:
        """Release ``old`` only for the attempt; put it back when ``accelerator`` fails."""
        try:
            parse_accelerator(accelerator)
        except AcceleratorError as exc:
            return Result(False, action_id, None, "invalid", exc.message)
        self._service.unregister(action_id)
        result = self._service.register(self._binding(action_id, accelerator))
        if result.ok:
            return result
        if old:
            restored = self._service.register(self._binding(action_id, old))
            note = (f" The previous shortcut {restored.accelerator} is still in use."
                    if restored.ok else f" The previous shortcut {old} could not be "
                    f"restored either: {restored.message}")
            result = Result(False, action_id, result.accelerator, result.reason,
                            result.message + note, result.backend, result.scope)
        log.shortcuts.info("rebinding %s to %s failed: %s", action_id, accelerator,
                           result.reason)
        return result

    def clear(self, action_id: str) -> None:
        """Leave the action without a shortcut, and remember that."""
        self._service.unregister(action_id)
        self._store.update(lambda s: s.shortcuts.bindings.__setitem__(action_id, ""))
        self._applied[action_id] = ""

    def reset(self, action_id: str) -> Result:
        return self.rebind(action_id, DEFAULT_BINDINGS[action_id])

    @staticmethod
    def _binding(action_id: str, accelerator: str) -> Binding:
        return Binding(action_id, accelerator, _BY_ID[action_id].description)


def _canonical(accelerator: str) -> str:
    """The form the service reports for a held binding; unparsable text never matches one."""
    if not accelerator:
        return ""
    try:
        return str(parse_accelerator(accelerator))
    except AcceleratorError:
        return f"<invalid {accelerator}>"

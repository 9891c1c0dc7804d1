"""The service's bookkeeping on the in-app backend (real, no display needed)."""

from __future__ import annotations

import pytest

from app.shortcuts.accelerator import parse_accelerator
from app.shortcuts.backends.inapp import InAppBackend
from app.shortcuts.backends.keyboard_backend import KeyboardBackend
from app.shortcuts.service import ShortcutService
from app.shortcuts.types import Binding, TriggerEvent


@pytest.fixture
def inapp() -> InAppBackend:
    return InAppBackend()


@pytest.fixture
def service(inapp: InAppBackend) -> ShortcutService:
    return ShortcutService([inapp], why="test")


def test_register_reports_canonical_accelerator_and_in_app_scope(service: ShortcutService) -> None:
    result = service.register(Binding("a", "shift+mod+k", "demo"))
    assert result.ok and result.accelerator == "CmdOrCtrl+Shift+K"
    assert result.scope == "in-app" and "in-app only" in result.message
    assert "In-app only" in service.info.why
    assert [(b.binding.id, b.accelerator) for b in service.list()] == [("a", "CmdOrCtrl+Shift+K")]


def test_invalid_accelerator_and_empty_id(service: ShortcutService) -> None:
    bad = service.register(Binding("a", "Ctrl+K+J"))
    assert (bad.ok, bad.reason) == (False, "invalid") and "Two keys" in bad.message
    empty = service.register(Binding(" ", "Ctrl+K"))
    assert empty.reason == "invalid" and "id" in empty.message
    assert service.list() == []


def test_duplicate_id_and_conflict_within_the_app(service: ShortcutService) -> None:
    assert service.register(Binding("a", "Ctrl+K")).ok
    duplicate = service.register(Binding("a", "Ctrl+J"))
    assert duplicate.reason == "duplicate-id" and "Ctrl+K" in duplicate.message
    conflict = service.register(Binding("b", "control+KeyK"))
    assert conflict.reason == "conflict" and "this app under the id 'a'" in conflict.message


def test_unregister_and_unregister_all(service: ShortcutService) -> None:
    service.register(Binding("a", "Ctrl+K"))
    service.register(Binding("b", "Ctrl+J"))
    assert service.unregister("a") is True
    assert service.unregister("a") is False
    assert service.register(Binding("c", "Ctrl+K")).ok  # the combination is free again
    service.unregister_all()
    assert service.list() == []


def test_events_auto_repeat_and_key_ups(service: ShortcutService, inapp: InAppBackend) -> None:
    events: list[TriggerEvent] = []
    service.subscribe(events.append)
    service.register(Binding("ups", "Ctrl+K", receive_key_ups=True))
    service.register(Binding("downs", "Ctrl+J"))
    k, j = parse_accelerator("Ctrl+K"), parse_accelerator("Ctrl+J")
    for phase in ("down", "down", "down", "up", "up"):  # held: the OS repeats "down"
        inapp.feed(k, phase)
    inapp.feed(j, "down")
    inapp.feed(j, "up")
    assert [(e.id, e.phase) for e in events] == [("ups", "down"), ("ups", "up"), ("downs", "down")]
    assert all(e.t > 0 for e in events)
    assert inapp.feed(parse_accelerator("Ctrl+L"), "down") is False


def test_unsubscribe_stops_events(service: ShortcutService, inapp: InAppBackend) -> None:
    events: list[TriggerEvent] = []
    unsubscribe = service.subscribe(events.append)
    service.register(Binding("a", "Ctrl+K"))
    unsubscribe()
    inapp.feed(parse_accelerator("Ctrl+K"), "down")
    assert events == []


def test_no_backend_gives_the_first_backends_reason() -> None:
    service = ShortcutService([KeyboardBackend(platform="linux")], why="test")
    result = service.register(Binding("a", "Ctrl+K"))
    assert result.ok is False and result.reason in ("backend-unavailable", "denied")
    assert result.message.startswith("No shortcut backend works here. keyboard:")
    assert service.info.name == "none" and service.info.scope is None
    still_invalid = service.register(Binding("b", "Ctrl+"))
    assert still_invalid.reason == "invalid"  # bad input is named before the backend's state


class _BareAssertingBackend(InAppBackend):
    """A backend whose library fails the way ``keyboard`` does: a bare AssertionError."""

    def grab(self, accelerator: object) -> None:
        raise AssertionError


@pytest.mark.expected_log(r"backend in-app failed to grab Ctrl\+Alt\+B")
def test_an_unexpected_backend_error_becomes_a_reason_not_an_exception() -> None:
    service = ShortcutService([_BareAssertingBackend()], why="test")
    result = service.register(Binding("b", "Ctrl+Alt+B"))
    assert not result.ok and result.reason == "backend-unavailable"
    assert "failed: AssertionError" in result.message
    assert service.list() == []
    assert service.register(Binding("b", "Ctrl+Alt+B")).reason == "backend-unavailable"  # no leak

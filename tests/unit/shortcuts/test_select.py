"""The backend choice follows platform and session, and always says why it was made."""

from __future__ import annotations

from app.shortcuts.select import BACKEND_ENV, candidates, open_service
from app.shortcuts.types import Binding


def _names(environ: dict[str, str], platform: str = "linux", preference: str = "auto") -> list[str]:
    return [b.name for b in candidates(preference, environ=environ, platform=platform)[0]]


def test_automatic_choice_follows_platform_and_session() -> None:
    assert _names({"DISPLAY": ":3"}) == ["x11"]
    assert _names({"DISPLAY": ":3", "WAYLAND_DISPLAY": "wayland-0"}) == ["portal", "keyboard"]
    assert _names({"XDG_SESSION_TYPE": "wayland"}) == ["portal", "keyboard"]
    assert _names({}) == ["keyboard"]
    assert _names({"DISPLAY": ":3"}, platform="win32") == ["keyboard"]
    assert _names({}, platform="darwin") == ["keyboard"]


def test_the_reason_names_the_evidence() -> None:
    _, why, notes = candidates(environ={"DISPLAY": ":3"}, platform="linux")
    assert why.startswith("X11 session (DISPLAY=:3)")
    _, why, notes = candidates(environ={}, platform="linux")
    assert "neither DISPLAY nor WAYLAND_DISPLAY" in why
    assert notes == [("x11", "unsupported", "DISPLAY is not set.")]


def test_explicit_preference_and_environment_override() -> None:
    assert _names({"DISPLAY": ":3"}, preference="in-app") == ["in-app"]
    assert _names({BACKEND_ENV: "keyboard", "DISPLAY": ":3"}, preference="x11") == ["keyboard"]
    _, why, _ = candidates("x11", environ={BACKEND_ENV: "in-app"}, platform="linux")
    assert why == f"chosen explicitly ({BACKEND_ENV}=in-app)"


def test_unknown_preference_is_unsupported_not_an_exception() -> None:
    service = open_service("carrier-pigeon", environ={}, platform="linux", allow_in_app=False)
    result = service.register(Binding("a", "Ctrl+K"))
    assert result.reason == "unsupported" and "carrier-pigeon" in result.message


def test_headless_linux_without_input_devices_reports_every_backend() -> None:
    service = open_service(environ={}, platform="linux", allow_in_app=False)
    result = service.register(Binding("a", "Ctrl+K"))
    assert result.reason == "unsupported"
    assert "x11: DISPLAY is not set." in result.message
    assert "keyboard: The keyboard package cannot run" in result.message

"""The Wayland portal backend against a real D-Bus session bus that has no GlobalShortcuts."""

from __future__ import annotations

from app.shortcuts.accelerator import parse_accelerator
from app.shortcuts.backends.portal import PortalBackend, portal_trigger
from app.shortcuts.select import open_service
from app.shortcuts.service import ShortcutService
from app.shortcuts.types import Binding
from tests.unit.shortcuts.dbus_session import private_session_bus


def test_wayland_without_the_portal_is_unsupported_with_the_reason() -> None:
    with private_session_bus() as address:
        environ = {"WAYLAND_DISPLAY": "wayland-0", "DBUS_SESSION_BUS_ADDRESS": address}
        service = open_service(environ=environ, platform="linux", allow_in_app=False)
        result = service.register(Binding("a", "Ctrl+Shift+K"))
        service.close()
    assert result.reason == "unsupported"
    assert "does not offer org.freedesktop.portal.GlobalShortcuts" in result.message
    assert "ServiceUnknown" in result.message
    assert "Wayland session" in service.info.why


def test_wayland_without_the_portal_falls_back_to_in_app_and_says_so() -> None:
    with private_session_bus() as address:
        environ = {"WAYLAND_DISPLAY": "wayland-0", "DBUS_SESSION_BUS_ADDRESS": address}
        service = open_service(environ=environ, platform="linux")
        result = service.register(Binding("a", "Ctrl+Shift+K"))
        service.close()
    assert result.ok and result.scope == "in-app"
    assert service.info.name == "in-app"
    assert "Passed over portal (unsupported)" in service.info.why
    assert "In-app only" in service.info.why


def test_unreachable_bus_is_backend_unavailable() -> None:
    service = ShortcutService([PortalBackend(bus="unix:path=/nonexistent/bus")])
    result = service.register(Binding("a", "Ctrl+K"))
    assert result.reason == "backend-unavailable"
    assert "No D-Bus session bus" in result.message


def test_portal_trigger_uses_the_xdg_shortcut_notation() -> None:
    assert portal_trigger(parse_accelerator("CmdOrCtrl+Shift+K")) == "CTRL+SHIFT+k"
    assert portal_trigger(parse_accelerator("Super+Alt+Space")) == "ALT+LOGO+space"

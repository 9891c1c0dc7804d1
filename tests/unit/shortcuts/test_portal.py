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


def test_portal_binds_reports_and_releases_through_the_desktop() -> None:
    import threading

    from app.shortcuts.types import TriggerEvent
    from tests.unit.shortcuts.portal_standin import PortalStandIn

    with private_session_bus() as address:
        desktop = PortalStandIn(address)
        environ = {"WAYLAND_DISPLAY": "wayland-0", "DBUS_SESSION_BUS_ADDRESS": address}
        service = open_service(environ=environ, platform="linux", allow_in_app=False)
        events: list[TriggerEvent] = []
        arrived = threading.Event()

        def seen(event: TriggerEvent) -> None:
            events.append(event)
            if len(events) == 2:
                arrived.set()

        service.subscribe(seen)
        result = service.register(Binding("talk", "Super+Space", receive_key_ups=True))
        assert result.ok and (result.backend, result.scope) == ("portal", "global")
        (session, trigger), = desktop.sessions.items()
        assert trigger == "LOGO+space"
        desktop.activate(session, down=True)
        desktop.activate(session, down=False)
        assert arrived.wait(5)
        assert service.unregister("talk")
        service.close()
        desktop.close()
    assert [(e.id, e.phase) for e in events] == [("talk", "down"), ("talk", "up")]
    assert desktop.closed == [session]


def test_user_cancelling_the_desktop_dialog_is_denied() -> None:
    from tests.unit.shortcuts.portal_standin import PortalStandIn

    with private_session_bus() as address:
        desktop = PortalStandIn(address, bind_response=1)
        service = ShortcutService([PortalBackend(bus=address)])
        result = service.register(Binding("a", "Ctrl+K"))
        service.close()
        desktop.close()
    assert result.reason == "denied" and "cancelled" in result.message
    assert service.list() == []
    assert desktop.closed == list(desktop.sessions)  # the half-made session was closed

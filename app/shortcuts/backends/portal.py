"""Global shortcuts on Wayland through the XDG desktop portal's GlobalShortcuts interface.

Wayland lets no client grab keys; the desktop (through xdg-desktop-portal) binds
shortcuts on the app's behalf, often after asking the user. Each grab gets its own
portal session so one binding can be released (Session.Close) without touching the
others. When the portal or the interface is missing the reason says so: ``unsupported``.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from typing import Any, Final

from app import log
from app.shortcuts.accelerator import Accelerator
from app.shortcuts.backends.base import BindError, EventSink
from app.shortcuts.backends.x11 import X11_KEYSYMS
from app.shortcuts.types import Scope

__all__ = ["PORTAL_INTERFACE", "PortalBackend", "portal_trigger"]

PORTAL_BUS: Final = "org.freedesktop.portal.Desktop"
PORTAL_PATH: Final = "/org/freedesktop/portal/desktop"
PORTAL_INTERFACE: Final = "org.freedesktop.portal.GlobalShortcuts"
_TRIGGER_MODIFIERS: Final = {"Ctrl": "CTRL", "Alt": "ALT", "Shift": "SHIFT", "Super": "LOGO"}
_tokens = itertools.count(1)


def portal_trigger(accelerator: Accelerator, platform: str = "linux") -> str:
    """The accelerator in the XDG shortcuts notation the portal expects (``CTRL+SHIFT+k``)."""
    mods = accelerator.physical_modifiers(platform)
    parts = [_TRIGGER_MODIFIERS[m] for m in ("Ctrl", "Alt", "Shift", "Super") if m in mods]
    return "+".join([*parts, X11_KEYSYMS[accelerator.key]])


class PortalBackend:
    name = "portal"
    scope: Scope = "global"

    def __init__(self, *, bus: str = "SESSION", response_timeout: float = 60.0) -> None:
        self._bus = bus
        self._timeout = response_timeout
        self._router: Any = None
        self._sink: EventSink | None = None
        self._sessions: dict[Accelerator, str] = {}
        self._by_session: dict[str, Accelerator] = {}
        self._signals: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._filter: Any = None

    def open(self, sink: EventSink) -> None:
        from jeepney import DBusAddress, MatchRule, Properties
        from jeepney.bus_messages import message_bus
        from jeepney.io.threading import DBusRouter, Proxy, open_dbus_connection
        from jeepney.wrappers import DBusErrorResponse, unwrap_msg

        try:
            connection = open_dbus_connection(bus=self._bus)
        except (KeyError, ValueError, OSError, TimeoutError) as exc:
            raise BindError(f"No D-Bus session bus to reach the desktop portal: {exc!r}.",
                            reason="backend-unavailable") from exc
        self._router = DBusRouter(connection)
        portal = DBusAddress(PORTAL_PATH, bus_name=PORTAL_BUS, interface=PORTAL_INTERFACE)
        try:
            version = unwrap_msg(self._router.send_and_get_reply(
                Properties(portal).get("version"), timeout=5))[0][1]
        except DBusErrorResponse as exc:
            self._shutdown()
            raise BindError(
                f"The desktop portal does not offer {PORTAL_INTERFACE} ({exc.name}): this "
                "Wayland desktop cannot bind global shortcuts for apps.",
                reason="unsupported") from exc
        except TimeoutError as exc:
            self._shutdown()
            raise BindError("The desktop portal did not answer within 5 s.",
                            reason="backend-unavailable") from exc
        rule = MatchRule(type="signal", interface=PORTAL_INTERFACE)
        Proxy(message_bus, self._router, timeout=5).AddMatch(rule)
        self._filter = self._router.filter(rule, queue=self._signals)
        self._sink = sink
        self._thread = threading.Thread(target=self._run, name="portal-shortcuts", daemon=True)
        self._thread.start()
        log.shortcuts.info("GlobalShortcuts portal version %s", version)

    def grab(self, accelerator: Accelerator) -> None:
        from jeepney import DBusAddress, new_method_call

        portal = DBusAddress(PORTAL_PATH, bus_name=PORTAL_BUS, interface=PORTAL_INTERFACE)
        token = f"companion_stage_{next(_tokens)}"
        results = self._request(token, lambda: new_method_call(portal, "CreateSession", "a{sv}", (
            {"handle_token": ("s", token), "session_handle_token": ("s", token)},)))
        session = str(results["session_handle"][1])
        shortcut = ("shortcut", {"description": ("s", f"Companion Stage: {accelerator}"),
                                 "preferred_trigger": ("s", portal_trigger(accelerator))})
        bind_token = f"{token}_bind"
        try:
            bound = self._request(bind_token, lambda: new_method_call(
                portal, "BindShortcuts", "oa(sa{sv})sa{sv}",
                (session, [shortcut], "", {"handle_token": ("s", bind_token)})))
        except BindError:
            self._close_session(session)
            raise
        if not bound.get("shortcuts", ("", []))[1]:
            self._close_session(session)
            raise BindError(f"The desktop did not bind {accelerator} (the user declined or the "
                            "combination is taken).", reason="denied")
        self._sessions[accelerator] = session
        self._by_session[session] = accelerator

    def ungrab(self, accelerator: Accelerator) -> None:
        session = self._sessions.pop(accelerator, None)
        if session is not None:
            self._by_session.pop(session, None)
            self._close_session(session)

    def close(self) -> None:
        for accelerator in list(self._sessions):
            self.ungrab(accelerator)
        self._shutdown()

    # --- plumbing ----------------------------------------------------------------------------
    def _request(self, token: str, make: Any) -> dict[str, Any]:
        """Call a portal method and wait for its Request's Response signal."""
        from jeepney import MatchRule
        from jeepney.bus_messages import message_bus
        from jeepney.io.threading import Proxy
        from jeepney.wrappers import DBusErrorResponse, unwrap_msg

        sender = self._router.unique_name.lstrip(":").replace(".", "_")
        path = f"{PORTAL_PATH}/request/{sender}/{token}"
        rule = MatchRule(type="signal", interface="org.freedesktop.portal.Request",
                         member="Response", path=path)
        replies: queue.Queue[Any] = queue.Queue()
        Proxy(message_bus, self._router, timeout=5).AddMatch(rule)
        with self._router.filter(rule, queue=replies):
            try:
                unwrap_msg(self._router.send_and_get_reply(make(), timeout=5))
            except DBusErrorResponse as exc:
                raise BindError(f"The desktop portal refused: {exc}.",
                                reason="unsupported") from exc
            try:
                code, results = replies.get(timeout=self._timeout).body
            except queue.Empty as exc:
                raise BindError(f"The desktop portal gave no answer in {self._timeout:.0f} s.",
                                reason="backend-unavailable") from exc
        if code == 1:
            raise BindError("The user cancelled the desktop's shortcut dialog.", reason="denied")
        if code != 0:
            raise BindError(f"The desktop portal failed the request (response {code}).",
                            reason="backend-unavailable")
        return dict(results)

    def _close_session(self, session: str) -> None:
        from jeepney import DBusAddress, new_method_call

        address = DBusAddress(session, bus_name=PORTAL_BUS,
                              interface="org.freedesktop.portal.Session")
        try:
            self._router.send_and_get_reply(new_method_call(address, "Close"), timeout=5)
        except Exception as exc:  # the session may be gone; nothing to release then
            log.shortcuts.warning("closing portal session %s failed: %s", session, exc)

    def _run(self) -> None:
        while True:
            message = self._signals.get()
            if message is None:
                return
            member = message.header.fields.get(3)  # HeaderFields.member
            accelerator = self._by_session.get(str(message.body[0]))
            if accelerator is None or self._sink is None:
                continue
            if member == "Activated":
                self._sink(accelerator, "down", time.perf_counter())
            elif member == "Deactivated":
                self._sink(accelerator, "up", time.perf_counter())

    def _shutdown(self) -> None:
        if self._thread is not None:
            self._signals.put(None)
            self._thread.join(timeout=5)
            self._thread = None
        if self._filter is not None:
            self._filter.close()
            self._filter = None
        if self._router is not None:
            connection = self._router.conn
            self._router.close()
            connection.close()
            self._router = None

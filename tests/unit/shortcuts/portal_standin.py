"""A stand-in for the desktop's xdg-desktop-portal GlobalShortcuts, on a private bus.

No desktop here implements GlobalShortcuts (it needs a running KDE/GNOME session),
so this small D-Bus service plays the desktop's part of the documented protocol:
Request/Response objects, sessions, BindShortcuts, and Activated/Deactivated
signals. The app's portal backend talks to it over a real dbus-daemon.
"""

from __future__ import annotations

import threading
from typing import Any

from jeepney import DBusAddress, HeaderFields, MessageType, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

__all__ = ["PortalStandIn"]

BUS_NAME = "org.freedesktop.portal.Desktop"
PATH = "/org/freedesktop/portal/desktop"
IFACE = "org.freedesktop.portal.GlobalShortcuts"


class PortalStandIn:
    """Answers like a portal; ``bind_response`` 1 plays a user cancelling the dialog."""

    def __init__(self, address: str, *, bind_response: int = 0) -> None:
        self.bind_response = bind_response
        self.sessions: dict[str, str] = {}  # session path -> preferred trigger
        self.closed: list[str] = []
        self._conn = open_dbus_connection(bus=address)
        reply = self._conn.send_and_get_reply(message_bus.RequestName(BUS_NAME))
        assert reply.body[0] == 1, "could not own the portal's bus name"
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def activate(self, session: str, *, down: bool) -> None:
        member = "Activated" if down else "Deactivated"
        self._conn.send(new_signal(DBusAddress(PATH, interface=IFACE), member, "osta{sv}",
                                   (session, "shortcut", 0, {})))

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=5)
        self._conn.close()

    def _serve(self) -> None:
        while not self._stop:
            try:
                message = self._conn.receive(timeout=0.1)
            except TimeoutError:
                continue
            if message.header.message_type is MessageType.method_call:
                self._answer(message)

    def _answer(self, call: Any) -> None:
        fields = call.header.fields
        member = fields[HeaderFields.member]
        sender = fields[HeaderFields.sender].lstrip(":").replace(".", "_")
        if member == "Get":
            self._conn.send(new_method_return(call, "v", (("u", 1),)))
        elif member == "CreateSession":
            options = call.body[0]
            request = f"{PATH}/request/{sender}/{options['handle_token'][1]}"
            session = f"{PATH}/session/{sender}/{options['session_handle_token'][1]}"
            self.sessions[session] = ""
            self._conn.send(new_method_return(call, "o", (request,)))
            self._respond(request, 0, {"session_handle": ("s", session)})
        elif member == "BindShortcuts":
            session, shortcuts, _parent, options = call.body
            request = f"{PATH}/request/{sender}/{options['handle_token'][1]}"
            self._conn.send(new_method_return(call, "o", (request,)))
            trigger = shortcuts[0][1]["preferred_trigger"][1]
            self.sessions[session] = trigger
            bound = [(shortcuts[0][0], {"trigger_description": ("s", trigger)})]
            self._respond(request, self.bind_response,
                          {"shortcuts": ("a(sa{sv})", bound)} if self.bind_response == 0 else {})
        elif member == "Close":
            self.closed.append(fields[HeaderFields.path])
            self._conn.send(new_method_return(call))

    def _respond(self, request: str, code: int, results: dict[str, Any]) -> None:
        self._conn.send(new_signal(DBusAddress(request, interface="org.freedesktop.portal.Request"),
                                   "Response", "ua{sv}", (code, results)))

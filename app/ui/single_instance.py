"""One running shell per data directory; later launches hand their arguments to it.

Double-clicking the desktop entry twice, or running ``companion-stage --settings``
while the tray app runs, must not start a second tray icon fighting over the same
settings and models. A lock file in the data directory decides who is first (it
survives crashes: Qt treats the lock of a dead process as stale); the first one
listens on a local socket named after the data directory, the others connect,
send their argv as one JSON line and exit.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from PySide6.QtCore import QByteArray, QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from app import log

__all__ = ["SingleInstance", "server_name_for"]

CONNECT_TIMEOUT_MS: Final = 3000
#: The primary may still be starting when the lock is already taken.
CONNECT_RETRY_SECONDS: Final = 5.0
REPLY: Final = b"ok\n"


def server_name_for(data_dir: Path) -> str:
    """A socket name unique to this user and data directory."""
    uid = getattr(os, "getuid", lambda: 0)()
    digest = hashlib.sha256(f"{uid}:{data_dir.resolve()}".encode()).hexdigest()[:16]
    return f"companion-stage-{digest}"


class SingleInstance(QObject):
    """Claims the data directory for this process, or forwards argv to the process that has it."""

    #: argv (list[str]) a later launch sent.
    arguments_received = Signal(list)

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name_for(data_dir)
        self._lock = QLockFile(str(data_dir / "instance.lock"))
        self._lock.setStaleLockTime(0)  # only a dead owner makes it stale, never age
        self._server: QLocalServer | None = None

    def claim(self) -> bool:
        """Become the primary instance; False when another live process already is."""
        if not self._lock.tryLock(0):
            return False
        QLocalServer.removeServer(self.name)  # a socket file left by a crashed primary
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            log.ui.warning(
                "Single-instance socket %s unavailable: %s", self.name, server.errorString()
            )
            return True  # still the primary; later launches just cannot reach us
        server.newConnection.connect(self._accept)
        self._server = server
        log.ui.info("Listening for later launches on %s", self.name)
        return True

    def send(self, argv: Sequence[str]) -> bool:
        """Hand ``argv`` to the primary; True once it acknowledged."""
        payload = json.dumps({"argv": list(argv), "cwd": os.getcwd()}).encode() + b"\n"
        deadline = time.monotonic() + CONNECT_RETRY_SECONDS
        while True:
            socket = QLocalSocket()
            socket.connectToServer(self.name)
            if socket.waitForConnected(CONNECT_TIMEOUT_MS):
                break
            if time.monotonic() > deadline:
                log.ui.error(
                    "Another instance holds the data folder but does not answer on %s: %s",
                    self.name,
                    socket.errorString(),
                )
                return False
            time.sleep(0.1)
        socket.write(QByteArray(payload))
        socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
        reply = b""
        while not reply.endswith(b"\n") and socket.waitForReadyRead(CONNECT_TIMEOUT_MS):
            reply += bytes(socket.readAll().data())
        socket.disconnectFromServer()
        return reply == REPLY

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._lock.isLocked():
            self._lock.unlock()

    def _accept(self) -> None:
        assert self._server is not None
        while (socket := self._server.nextPendingConnection()) is not None:
            buffer = bytearray()
            socket.readyRead.connect(lambda s=socket, b=buffer: self._read(s, b))
            socket.disconnected.connect(socket.deleteLater)

    def _read(self, socket: QLocalSocket, buffer: bytearray) -> None:
        buffer += bytes(socket.readAll().data())
        if b"\n" not in buffer:
            return
        line = bytes(buffer).split(b"\n", 1)[0]
        try:
            message = json.loads(line)
            argv = [str(arg) for arg in message["argv"]]
        except (ValueError, KeyError, TypeError) as exc:
            log.ui.warning("Ignored a malformed message from a later launch: %s", exc)
            socket.disconnectFromServer()
            return
        socket.write(QByteArray(REPLY))
        socket.flush()
        log.ui.info("Received arguments from a later launch: %s", json.dumps(argv))
        self.arguments_received.emit(argv)

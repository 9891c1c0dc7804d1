"""close_loop releases every socket of a websockets server run on a private loop.

A leaked socket shows as an unraisable ResourceWarning when the garbage is collected after
the test (tests/conftest.py), which fails it.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import threading
import time

from websockets.asyncio.server import Server, ServerConnection, serve

from app.loop_shutdown import close_loop, stop_accepting

HANDSHAKE = (
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


async def _wait_closed(ws: ServerConnection) -> None:
    await ws.wait_closed()


def _listening() -> tuple[asyncio.AbstractEventLoop, Server, int]:
    """A private loop with a websockets server on it, as the bridge and the engine run."""

    async def start() -> Server:
        return await serve(_wait_closed, "127.0.0.1", 0)

    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(start())
    return loop, server, int(server.sockets[0].getsockname()[1])


def test_a_connection_still_in_its_handshake_is_answered_and_released() -> None:
    loop, server, port = _listening()
    answers: list[bytes] = []

    def late_client(client: socket.socket) -> None:
        """A client whose request arrives after the server began to close (then hangs up)."""
        with client:
            time.sleep(0.3)
            client.sendall(HANDSHAKE)
            client.settimeout(5)
            try:
                answers.append(client.recv(4096))
            except TimeoutError:
                answers.append(b"(no answer)")

    client = socket.create_connection(("127.0.0.1", port))
    loop.run_until_complete(asyncio.sleep(0.1))  # accepted: its handler awaits the request
    thread = threading.Thread(target=late_client, args=(client,))
    thread.start()
    server.close()
    close_loop(loop)
    thread.join()
    assert loop.is_closed()
    assert answers[0].startswith(b"HTTP/1.1 503"), answers  # the closing server refused it
    gc.collect()


def test_an_open_connection_is_closed_and_released() -> None:
    loop, server, port = _listening()
    frames: list[bytes] = []

    def client_hangs_up_on_close(client: socket.socket) -> None:
        with client:
            frames.append(client.recv(2))  # the server's close frame (1001) begins 0x88

    with socket.create_connection(("127.0.0.1", port)) as client:
        client.sendall(HANDSHAKE)
        loop.run_until_complete(asyncio.sleep(0.2))
        assert client.recv(4096).startswith(b"HTTP/1.1 101")
        thread = threading.Thread(target=client_hangs_up_on_close, args=(client,))
        thread.start()
        server.close()
        close_loop(loop)
        thread.join()
    assert loop.is_closed()
    assert frames[0][:1] == b"\x88"
    gc.collect()


def test_a_connection_waiting_to_be_accepted_as_the_server_closes_is_not_leaked() -> None:
    """The closing coroutine's first step and the accept callback share one iteration.

    That is how the loop of a stopping engine or bridge meets a client connecting at
    that moment; without stop_accepting the accepted transport fails CPython 3.11's
    ``Server._attach`` assertion and its socket leaks.
    """
    loop, server, port = _listening()

    async def close() -> None:
        await stop_accepting(server.server)
        server.close()
        await server.wait_closed()

    with socket.create_connection(("127.0.0.1", port)) as client:  # in the listen backlog
        loop.run_until_complete(close())
        close_loop(loop)
        client.settimeout(5)
        try:
            client.sendall(HANDSHAKE)
            answer = client.recv(4096)
        except ConnectionResetError:
            answer = b""
    assert answer == b"" or answer.startswith(b"HTTP/1.1 503"), answer
    gc.collect()

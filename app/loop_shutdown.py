"""Closing a private asyncio loop (one run on its own thread) without leaking sockets.

``asyncio.run`` finishes its loop carefully; a loop driven by hand with ``run_forever``
does not. Two ways to leak a socket there:

- a transport closed by ``Server.close`` releases its socket only in ``connection_lost``,
  which the loop runs on a later iteration: closing the loop at once skips it;
- a websockets handler still in its opening handshake aborts its transport when the
  handshake ends or fails, but not when it is cancelled (it catches ``Exception`` only).
  A connection accepted just as the server closed is in that state; given a moment, the
  closing server answers it 503 and aborts it itself.
"""

from __future__ import annotations

import asyncio
from typing import Final

__all__ = ["close_loop", "stop_accepting"]

#: how long tasks still running may take to finish before they are cancelled
GRACE_S: Final = 2.0


def close_loop(loop: asyncio.AbstractEventLoop, grace: float = GRACE_S) -> None:
    """Let running tasks finish (then cancel the rest), run what is scheduled, close."""
    try:
        if pending := _pending(loop):
            loop.run_until_complete(asyncio.wait(pending, timeout=grace))
        if pending := _pending(loop):
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(asyncio.sleep(0))  # the connection_lost callbacks
    finally:
        loop.close()


async def stop_accepting(server: asyncio.Server) -> None:
    """Stop taking connections; call before ``close()`` on the server (or its wrapper).

    CPython 3.11 races there: a connection accepted in the loop iteration that closes the
    server gets its transport built after ``close()`` and fails an assertion in
    ``Server._attach``, leaking the socket. Unhooking the listening sockets first and
    letting one iteration pass attaches every accepted connection while the server still
    counts them, so ``close()`` then waits for them as it should.
    """
    loop = asyncio.get_running_loop()
    for sock in server.sockets:
        loop.remove_reader(sock.fileno())
    for _ in range(2):  # _accept_connection -> _accept_connection2 builds the transport
        await asyncio.sleep(0)


def _pending(loop: asyncio.AbstractEventLoop) -> set[asyncio.Task[object]]:
    return {task for task in asyncio.all_tasks(loop) if not task.done()}

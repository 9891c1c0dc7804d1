"""The proxy keeps one upstream connection ready after a session, so the next one skips the
upstream's handshake; refused sessions never touch it, and an idle one is closed."""

from __future__ import annotations

import time
import uuid
from typing import Any

from websockets.asyncio.server import ServerConnection

from app.server.state import ServerState
from app.speech.engine import EngineOptions, StreamingEngine
from tests.unit.server.conftest import Stack, StackFactory
from tests.unit.server.harness import session, tone


class LogsConnections(StreamingEngine):
    """Notes when each connection was opened and closed, and which ones carried a session."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.opened: dict[uuid.UUID, float] = {}
        self.closed: dict[uuid.UUID, float] = {}
        self.served: list[uuid.UUID] = []

    async def _session(self, ws: ServerConnection) -> None:
        self.opened[ws.id] = time.monotonic()
        try:
            await super()._session(ws)
        finally:
            self.closed[ws.id] = time.monotonic()

    async def send_finished(self, ws: ServerConnection, words: int) -> None:
        self.served.append(ws.id)
        await super().send_finished(ws, words)


def engine_of(s: Stack) -> LogsConnections:
    assert s.upstream is not None and isinstance(s.upstream.engine, LogsConnections)
    return s.upstream.engine


def wait_for(what: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_the_next_session_takes_the_connection_opened_ahead(make_stack: StackFactory) -> None:
    with make_stack(engine_cls=LogsConnections, engine_options=EngineOptions(synthesize=tone)) as s:
        upstreams = s.app.state.server.upstreams
        engine = engine_of(s)
        first_started = time.monotonic()
        assert session(s.server.ws_url, s.token, ["First one."]).names[-1] == "session.finished"
        wait_for(lambda: upstreams.ready_spares() == 1)
        second_started = time.monotonic()
        assert session(s.server.ws_url, s.token, ["Second one."]).names[-1] == "session.finished"
        first, second = engine.served
        # the first session opened its own connection; the second found one already open
        assert engine.opened[first] > first_started
        assert engine.opened[second] < second_started
        wait_for(lambda: upstreams.ready_spares() == 1)  # and another is ready again
        assert len(engine.opened) == 3


def test_a_refused_session_neither_takes_nor_opens_an_upstream(make_stack: StackFactory) -> None:
    with make_stack(
        flux=1, rate=100, engine_cls=LogsConnections, engine_options=EngineOptions(synthesize=tone)
    ) as s:
        upstreams = s.app.state.server.upstreams
        engine = engine_of(s)
        assert session(s.server.ws_url, s.token, ["Spend it all now."]).names[-1] == (
            "session.finished"
        )
        assert s.balance() == 0
        wait_for(lambda: upstreams.ready_spares() == 1)
        opened = dict(engine.opened)
        refused = session(s.server.ws_url, s.token, ["No flux left."])
        assert refused.close_code == 4402
        (spare,) = set(opened) - set(engine.served)
        assert engine.opened == opened and spare not in engine.closed  # still waiting
        assert upstreams.ready_spares() == 1 and len(engine.received) == 1


def test_an_unused_spare_is_closed_and_not_replaced(make_stack: StackFactory) -> None:
    with make_stack(
        engine_cls=LogsConnections,
        engine_options=EngineOptions(synthesize=tone),
        upstream_spare_max_age_s=0.3,
    ) as s:
        state: ServerState = s.app.state.server
        engine = engine_of(s)
        assert session(s.server.ws_url, s.token, ["Hello."]).names[-1] == "session.finished"
        wait_for(lambda: len(engine.opened) == 2)
        (spare,) = set(engine.opened) - set(engine.served)
        wait_for(lambda: spare in engine.closed)  # closed by the server after 0.3 s
        assert engine.closed[spare] - engine.opened[spare] >= 0.3
        time.sleep(0.5)
        assert state.upstreams.ready_spares() == 0 and len(engine.opened) == 2
        # the next session opens its own again, and works
        assert session(s.server.ws_url, s.token, ["Again."]).names[-1] == "session.finished"
        assert engine.served[-1] not in (spare, engine.served[0])


def test_spares_can_be_turned_off(make_stack: StackFactory) -> None:
    with make_stack(
        engine_cls=LogsConnections,
        engine_options=EngineOptions(synthesize=tone),
        upstream_spares=False,
    ) as s:
        engine = engine_of(s)
        for text in ("One.", "Two."):
            assert session(s.server.ws_url, s.token, [text]).names[-1] == "session.finished"
        time.sleep(0.3)
        assert len(engine.opened) == 2 and sorted(engine.opened) == sorted(engine.served)

"""Bounded load on loopback through the proxy, on both databases: 50 concurrent sessions,
races for one balance (30, then 1,000 sessions billed at once), clients leaving mid-stream."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import connect as aconnect
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from app.server.billing import Charge
from app.server.config import BillingRate
from app.server.state import ServerState
from app.speech.engine import EngineOptions, StreamingEngine
from app.speech.protocol import finish_frame, start_frame, text_frame
from app.speech.words import count_words
from tests.unit.server.conftest import StackFactory
from tests.unit.server.harness import Transcript, session, tone

SESSIONS = 50
TEXT = ["Every client says this first sentence. ", "Then a second one follows."]


def test_fifty_concurrent_sessions_are_forwarded_and_billed_once(make_stack: StackFactory) -> None:
    with make_stack(flux=10_000, rate=100, engine_options=EngineOptions(synthesize=tone)) as s:
        with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
            transcripts = list(
                pool.map(lambda _i: session(s.server.ws_url, s.token, TEXT), range(SESSIONS))
            )
        words = sum(count_words(t) for t in TEXT)
        assert all(t.close_code == 1000 for t in transcripts)
        assert all(
            t.names[0] == "session.started" and t.names[-1] == "session.finished"
            for t in transcripts
        )
        assert all(
            t.audio_bytes == t.names.count("sentence.end") * len(tone("", "").pcm) > 0
            for t in transcripts
        )
        ids = {t.last("session.finished")["payload"]["session_id"] for t in transcripts}
        assert len(ids) == SESSIONS
        rows = [r for r in s.store.ledger("ada", limit=1000) if r.kind == "session"]
        assert sorted(r.session_id for r in rows) == sorted(ids)
        assert s.balance() == 10_000 - SESSIONS * words
        outcomes = [sp.attributes["session.outcome"] for sp in s.finished_spans(SESSIONS)]
        assert outcomes == ["finished"] * SESSIONS


def test_concurrent_sessions_never_overdraw_one_balance(make_stack: StackFactory) -> None:
    """30 sessions of 10 words at 1 flux per word race for 95 flux."""
    with make_stack(flux=95, rate=100, engine_options=EngineOptions(synthesize=tone)) as s:
        with ThreadPoolExecutor(max_workers=30) as pool:
            transcripts = list(
                pool.map(
                    lambda _i: session(
                        s.server.ws_url,
                        s.token,
                        ["One two three four five six seven eight nine ten."],
                    ),
                    range(30),
                )
            )
        finished = [t for t in transcripts if "session.finished" in t.names]
        refused = [t for t in transcripts if t.close_code == 4402]
        assert len(finished) + len(refused) == 30
        charged = sum(
            t.last("session.finished")["payload"]["usage"]["flux_charged"] for t in finished
        )
        unbilled = sum(
            t.last("session.finished")["payload"]["usage"]["flux_unbilled"] for t in finished
        )
        assert charged == 95 and s.balance() == 0
        assert charged + unbilled == 10 * len(finished)
        assert min(t.last("session.finished")["payload"]["balance"] for t in finished) == 0


def test_mid_stream_disconnects_under_load_leave_the_server_healthy(
    make_stack: StackFactory,
) -> None:
    with make_stack(
        flux=10_000, rate=100, engine_options=EngineOptions(synthesize=tone, latency_s=0.05)
    ) as s:
        barrier = threading.Barrier(20)

        def leaver(_i: int) -> None:
            with connect(
                s.server.ws_url, additional_headers={"Authorization": f"Bearer {s.token}"}
            ) as ws:
                ws.send(json.dumps({"event": "start", "model": "", "voice": ""}))
                ws.send(json.dumps({"event": "text", "text": "Leaving soon. Very soon now. Gone"}))
                barrier.wait(30)
                while not isinstance(ws.recv(30), bytes):
                    pass

        with ThreadPoolExecutor(max_workers=20) as pool:
            list(pool.map(leaver, range(20)))
        t: Transcript = session(s.server.ws_url, s.token, ["Still here."])
        assert t.names[-1] == "session.finished"
        assert (
            s.balance() == 10_000 - 2
        )  # only the last session paid: the leavers reported no usage


# -- 1,000 sessions billed at once against one balance ------------------------------------------

RACE_SESSIONS = 1000
RACE_TEXT = "One two three four five six seven eight nine ten."  # 10 words: 10 flux at 100/100
RACE_COST = 10
RACE_BALANCE = 6000  # < 1,000 x 10: 4,000 flux cannot be billed


class HoldsFinishedUntilAllStarted(StreamingEngine):
    """Holds every session's ``session.finished`` until ``expected`` sessions have reached the
    upstream (so all of them passed the pre-flight), then lets them all finish at once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expected = RACE_SESSIONS
        self.waiting = 0
        self.peak_waiting = 0
        self.all_here = asyncio.Event()

    async def send_finished(self, ws: ServerConnection, words: int) -> None:
        self.waiting += 1
        self.peak_waiting = max(self.peak_waiting, self.waiting)
        if self.waiting >= self.expected:
            self.all_here.set()
        with contextlib.suppress(TimeoutError):  # the test's assertions report a shortfall
            await asyncio.wait_for(self.all_here.wait(), 90)
        await super().send_finished(ws, words)


@dataclass
class RaceClient:
    events: list[dict[str, Any]]
    audio_bytes: int
    close_code: int | None


async def race_session(url: str, token: str) -> RaceClient:
    events: list[dict[str, Any]] = []
    audio = 0
    async with aconnect(
        url,
        additional_headers={"Authorization": f"Bearer {token}"},
        compression=None,
        max_size=None,
        open_timeout=60,
        close_timeout=10,
    ) as ws:
        await ws.send(start_frame(model="", voice=""))
        await ws.send(text_frame(RACE_TEXT))
        await ws.send(finish_frame())
        with contextlib.suppress(ConnectionClosed):
            async for message in ws:
                if isinstance(message, bytes):
                    audio += len(message)
                else:
                    events.append(json.loads(message))
    return RaceClient(events, audio, ws.close_code)


def test_thousand_sessions_billed_at_once_through_the_proxy_never_overdraw_nor_bill_twice(
    make_stack: StackFactory,
) -> None:
    """1,000 WebSocket sessions pass the pre-flight, then all finish at once: their bills race
    for 6,000 flux through the proxy's billing call, each raced by a retry of its session id."""
    with make_stack(
        flux=RACE_BALANCE,
        rate=100,
        engine_cls=HoldsFinishedUntilAllStarted,
        engine_options=EngineOptions(synthesize=tone),
    ) as s:
        state: ServerState = s.app.state.server
        bill = state.bill
        charges: dict[str, list[Charge]] = defaultdict(list)

        async def bill_with_a_racing_retry(
            session_id: str, user_id: int, words: int, rate: BillingRate
        ) -> Charge:
            # the proxy's own bill and a retry of the same session id, in flight together
            first, retry = await asyncio.gather(
                bill(session_id, user_id, words, rate), bill(session_id, user_id, words, rate)
            )
            charges[session_id] += [first, retry]
            return first

        state.bill = bill_with_a_racing_retry  # type: ignore[method-assign]

        async def everyone() -> list[RaceClient]:
            return await asyncio.gather(
                *(race_session(s.server.ws_url, s.token) for _ in range(RACE_SESSIONS))
            )

        started = time.monotonic()
        clients = asyncio.run(everyone())
        elapsed = time.monotonic() - started

        upstream = s.upstream.engine if s.upstream else None
        assert isinstance(upstream, HoldsFinishedUntilAllStarted)
        # every session was at the upstream, unbilled, when the first bill was made
        assert upstream.peak_waiting == RACE_SESSIONS and upstream.all_here.is_set()
        assert [c.close_code for c in clients] == [1000] * RACE_SESSIONS
        finished = [c.events[-1] for c in clients]
        assert all(e["event"] == "session.finished" for e in finished)
        assert all(
            c.audio_bytes
            == sum(e["event"] == "sentence.end" for e in c.events) * len(tone("", "").pcm)
            > 0
            for c in clients
        )

        # each session id billed exactly once: one fresh charge, one duplicate, one ledger row
        ids = [e["payload"]["session_id"] for e in finished]
        assert len(set(ids)) == RACE_SESSIONS and set(charges) == set(ids)
        for pair in charges.values():
            assert sorted(c.duplicate for c in pair) == [False, True]
            assert len({(c.flux_charged, c.unbilled, c.balance) for c in pair}) == 1
        rows = [r for r in s.store.ledger("ada", limit=5 * RACE_SESSIONS) if r.kind == "session"]
        assert sorted(r.session_id for r in rows) == sorted(ids)

        # never below zero, nothing lost: charged + unbilled = the cost of every session
        assert s.balance() == 0
        assert sum(r.flux_charged for r in rows) == RACE_BALANCE
        assert sum(r.unbilled for r in rows) == RACE_SESSIONS * RACE_COST - RACE_BALANCE
        assert all(r.flux_charged + r.unbilled == RACE_COST and r.words == 10 for r in rows)
        assert all(r.balance_after >= 0 for r in rows)
        # the bills serialised: in commit order each starts from the balance the last left
        balance = RACE_BALANCE
        for row in reversed(rows):  # the ledger lists the newest first
            assert row.balance_after == balance - row.flux_charged
            balance = row.balance_after
        # and every client was told what its ledger row says
        by_id = {r.session_id: r for r in rows}
        for e in finished:
            usage, row = e["payload"]["usage"], by_id[e["payload"]["session_id"]]
            assert (usage["flux_charged"], usage["flux_unbilled"]) == (
                row.flux_charged,
                row.unbilled,
            )
            assert e["payload"]["balance"] == row.balance_after >= 0
        assert elapsed < 90, f"1,000 sessions took {elapsed:.1f} s"

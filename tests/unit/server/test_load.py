"""Bounded load on loopback: 50 concurrent sessions through the proxy, on both databases."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

from websockets.sync.client import connect

from app.speech.engine import EngineOptions
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

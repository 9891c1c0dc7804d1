"""The routes through a real uvicorn, a real upstream engine and real clients, on both DBs."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from openapi_spec_validator import validate
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from app.server.config import BILLING_RATE, STREAMING_TTS_UPSTREAM
from app.server.state import CONFIG_TTL_S
from app.speech.audio import read_wav
from app.speech.engine import EngineOptions
from app.speech.words import count_words
from tests.unit.server.conftest import StackFactory
from tests.unit.server.harness import ReportsOnCancel, session, tone
from tests.unit.speech.engines import ClosesBeforeFinished, CountingEngine

TEXT = [
    "Hello there, this is the first sentence. ",
    "And here comes ",
    "the second one! The third ends it.",
]
WORDS = sum(count_words(t) for t in TEXT)


def test_stream_forwards_in_order_and_bills(make_stack: StackFactory) -> None:
    with make_stack(flux=100, rate=10, engine_cls=CountingEngine) as s:
        t = session(s.server.ws_url, s.token, TEXT)
        assert t.close_code == 1000
        names = t.names
        assert names[0] == "session.started" and names[-1] == "session.finished"
        sent = s.upstream.engine.sent  # type: ignore[union-attr]
        assert names.count("sentence.start") == names.count("sentence.end") == len(sent) >= 3
        # every sentence's audio arrived between its start and end, in the upstream's order
        index, per_sentence = 0, list[int]()
        for frame in t.frames:
            if isinstance(frame, bytes):
                per_sentence[-1] += len(frame)
            elif json.loads(frame)["event"] == "sentence.start":
                per_sentence.append(0)
                assert json.loads(frame)["payload"]["text"] == sent[index][0]
                index += 1
        assert per_sentence == [n for _, n in sent]
        # the upstream received the client's raw text chunks unchanged and in order
        assert s.upstream.engine.received[-1] == TEXT  # type: ignore[union-attr]
        usage = t.last("session.finished")["payload"]["usage"]
        assert usage["text_words"] == WORDS == 17
        assert (usage["flux_charged"], usage["flux_unbilled"]) == (2, 0)  # 17 words at 10/100 -> 2
        assert t.last("session.finished")["payload"]["balance"] == 98 == s.balance()
        row = s.store.ledger("ada")[0]
        assert (row.kind, row.words, row.flux_charged, row.unbilled) == ("session", WORDS, 2, 0)
        assert row.session_id == t.last("session.finished")["payload"]["session_id"]


def test_token_in_first_frame(make_stack: StackFactory) -> None:
    with make_stack() as s:
        t = session(s.server.ws_url, s.token, ["Short one."], via="frame")
        assert t.names[-1] == "session.finished" and t.audio_bytes > 0


@pytest.mark.parametrize(
    "how", ["missing", "wrong-header", "wrong-frame", "in-url", "not-auth-frame"]
)
def test_bad_or_missing_token_closes_4401(make_stack: StackFactory, how: str) -> None:
    with make_stack() as s:
        url, via = s.server.ws_url, "header"
        token: str | None = s.token + "x"
        first: str | None = None
        if how == "missing":
            token = None
            first = json.dumps({"event": "start", "model": "", "voice": ""})
        elif how == "wrong-frame":
            via = "frame"
        elif how == "in-url":
            url, token = f"{url}?token={s.token}", None
        elif how == "not-auth-frame":
            token, first = None, "{not json"
        t = session(url, token, ["Hi."], via=via, first=first)
        assert t.close_code == 4401
        assert t.events[0]["event"] == "error" and t.events[0]["code"] == "unauthorized"
        assert t.audio_bytes == 0
        assert s.store.ledger("ada")[0].kind == "grant"  # nothing billed


def test_preflight_refuses_without_flux_and_opens_no_upstream(make_stack: StackFactory) -> None:
    with make_stack(flux=0, engine_cls=CountingEngine) as s:
        t = session(s.server.ws_url, s.token, TEXT)
        assert t.close_code == 4402
        assert t.events == [
            {
                "event": "error",
                "code": "insufficient-flux",
                "message": t.events[0]["message"],
                "balance": 0,
            }
        ]
        assert s.upstream.engine.received == []  # type: ignore[union-attr]
        [span] = s.finished_spans(1)
        assert span.attributes["session.outcome"] == "insufficient-flux"


def test_partial_charge_records_unbilled(make_stack: StackFactory) -> None:
    with make_stack(flux=1, rate=50) as s:  # 17 words at 50/100 -> 9 due (rounded up), 1 held
        t = session(s.server.ws_url, s.token, TEXT)
        usage = t.last("session.finished")["payload"]["usage"]
        assert (usage["flux_charged"], usage["flux_unbilled"]) == (1, 8)
        assert s.balance() == 0
        row = s.store.ledger("ada")[0]
        assert (row.flux_charged, row.unbilled, row.balance_after) == (1, 8, 0)
        # and now the pre-flight refuses
        assert session(s.server.ws_url, s.token, TEXT).close_code == 4402


@pytest.mark.parametrize("missing", ["upstream", "rate"])
def test_config_missing_is_an_error_event_and_clean_close(
    make_stack: StackFactory, missing: str
) -> None:
    kwargs = {"seed": False} if missing == "upstream" else {"rate": None}
    with make_stack(**kwargs) as s:
        t = session(s.server.ws_url, s.token, TEXT)
        assert t.close_code == 1000
        assert [e["code"] for e in t.events] == ["config-missing"]
        assert s.balance() == 100
        # the REST side says the same
        r = httpx.post(
            f"{s.server.http}/api/v1/audio/speech",
            json={"input": "Hi."},
            headers={"Authorization": f"Bearer {s.token}"},
        )
        assert r.status_code == 503 and r.json()["error"]["code"] == "config-missing"
        # and the server is still alive
        assert httpx.get(f"{s.server.http}/healthz").json()["ok"] is True


def test_a_config_change_reaches_the_running_server_within_a_second(
    make_stack: StackFactory,
) -> None:
    """Sessions read the config from memory; the background re-read brings changes in."""
    with make_stack(flux=1000, rate=10) as s:
        first = session(s.server.ws_url, s.token, TEXT).last("session.finished")
        assert first["payload"]["usage"]["flux_charged"] == 2  # 17 words at 10 per 100
        s.store.set_config(BILLING_RATE, {"flux_per_100_words": 100})
        time.sleep(CONFIG_TTL_S + 0.2)
        second = session(s.server.ws_url, s.token, TEXT).last("session.finished")
        assert second["payload"]["usage"]["flux_charged"] == WORDS
        s.store.delete_config(STREAMING_TTS_UPSTREAM)
        time.sleep(CONFIG_TTL_S + 0.2)
        t = session(s.server.ws_url, s.token, TEXT)
        assert [e["code"] for e in t.events] == ["config-missing"]
        assert s.balance() == 1000 - 2 - WORDS


def test_upstream_closing_before_finished_is_upstream_closed_and_free(
    make_stack: StackFactory,
) -> None:
    with make_stack(engine_cls=ClosesBeforeFinished) as s:
        t = session(s.server.ws_url, s.token, ["One sentence only."])
        assert t.audio_bytes > 0  # audio was forwarded before the upstream gave up
        err = t.last("error")
        assert (err["code"], err["closeCode"]) == ("upstream-closed", 4000)
        assert t.close_code == 1011
        assert s.balance() == 100
        [span] = s.finished_spans(1)
        assert span.attributes["session.outcome"] == "upstream-closed"
        assert span.attributes["flux.charged"] == 0


def test_upstream_error_event_is_forwarded_and_free(make_stack: StackFactory) -> None:
    from tests.unit.speech.engines import exploding_synthesizer

    with make_stack(engine_options=EngineOptions(synthesize=exploding_synthesizer)) as s:
        t = session(s.server.ws_url, s.token, ["It goes boom."])
        assert t.last("error")["code"] == "voice-exploded"
        assert s.balance() == 100


def test_client_cancel_is_forwarded_and_not_billed(make_stack: StackFactory) -> None:
    with make_stack() as s:
        with connect(
            s.server.ws_url, additional_headers={"Authorization": f"Bearer {s.token}"}
        ) as ws:
            ws.send(json.dumps({"event": "start", "model": "", "voice": ""}))
            ws.send(json.dumps({"event": "text", "text": "Never finished"}))
            ws.send(json.dumps({"event": "cancel"}))
            frames = list(_drain(ws))
        assert all(json.loads(f)["event"] != "error" for f in frames if isinstance(f, str))
        assert s.balance() == 100
        assert s.upstream.engine.sessions_cancelled == 1  # type: ignore[union-attr]


def _drain(ws: ClientConnection) -> Iterator[str | bytes]:
    try:
        while True:
            yield ws.recv(10)
    except ConnectionClosed:
        return


def test_client_gone_mid_stream_bills_what_upstream_reports(make_stack: StackFactory) -> None:
    """The reply is still streaming when the client leaves: bill what the upstream says it spoke."""
    text = (
        "First sentence is short. Second one is longer than that. "
        "Third one is here too. Fourth never plays. And the"
    )
    with make_stack(rate=100, engine_cls=ReportsOnCancel) as s:
        with connect(
            s.server.ws_url, additional_headers={"Authorization": f"Bearer {s.token}"}
        ) as ws:
            ws.send(json.dumps({"event": "start", "model": "", "voice": ""}))
            ws.send(json.dumps({"event": "text", "text": text}))
            while not isinstance(ws.recv(30), bytes):
                pass  # leave as soon as audio flows
        _wait(lambda: s.store.ledger("ada")[0].kind == "session")
        row = s.store.ledger("ada")[0]
        [spoken] = s.upstream.engine.spoken.values()  # type: ignore[union-attr]
        assert row.words == spoken  # what the upstream reported, not the text sent
        assert 4 <= spoken < count_words(text)
        assert row.flux_charged == row.words and s.balance() == 100 - row.words
        span = s.finished_spans(1)[-1]
        assert span.attributes["session.outcome"] == "client-gone-billed"


def test_client_gone_without_usage_bills_nothing(make_stack: StackFactory) -> None:
    """The reply is still streaming when the client leaves; the engine reports no usage then."""
    with make_stack(engine_options=EngineOptions(latency_s=0.3)) as s:
        with connect(
            s.server.ws_url, additional_headers={"Authorization": f"Bearer {s.token}"}
        ) as ws:
            ws.send(json.dumps({"event": "start", "model": "", "voice": ""}))
            ws.send(
                json.dumps(
                    {"event": "text", "text": "One sentence here. Two sentences there. Three"}
                )
            )
            while not isinstance(ws.recv(30), bytes):
                pass
        assert s.finished_spans(1)[0].attributes["session.outcome"] == "client-gone"
        assert s.balance() == 100 and s.store.ledger("ada")[0].kind == "grant"


def _wait(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.mark.parametrize(
    "frame",
    [
        "{nope",
        json.dumps({"event": "dance"}),
        json.dumps({"event": "text"}),
        json.dumps({"event": "start"}),
    ],
)
def test_malformed_frames_get_bad_frame(make_stack: StackFactory, frame: str) -> None:
    with make_stack(engine_options=EngineOptions(synthesize=tone)) as s:
        with connect(
            s.server.ws_url, additional_headers={"Authorization": f"Bearer {s.token}"}
        ) as ws:
            ws.send(json.dumps({"event": "start", "model": "", "voice": ""}))
            ws.send(frame)
            frames = list(_drain(ws))
            code = ws.close_code
        errors = [json.loads(f) for f in frames if isinstance(f, str) and '"error"' in f]
        assert errors[-1]["code"] == "bad-frame" and code == 1008
        assert s.balance() == 100


def test_binary_and_oversized_frames_are_refused(make_stack: StackFactory) -> None:
    with make_stack(engine_options=EngineOptions(synthesize=tone), client_frame_bytes=4096) as s:
        for payload, code, reason in (
            (b"\x00\x01", 1008, "bad-frame"),
            (json.dumps({"event": "text", "text": "x" * 5000}), 1009, "frame-too-large"),
        ):
            with connect(
                s.server.ws_url, additional_headers={"Authorization": f"Bearer {s.token}"}
            ) as ws:
                ws.send(json.dumps({"event": "start", "model": "", "voice": ""}))
                ws.send(payload)
                frames = list(_drain(ws))
                assert ws.close_code == code
            assert json.loads([f for f in frames if isinstance(f, str)][-1])["code"] == reason
        # beyond the transport limit (1 MiB) the ASGI server itself closes with 1009
        with connect(
            s.server.ws_url,
            additional_headers={"Authorization": f"Bearer {s.token}"},
            max_size=None,
        ) as ws:
            ws.send(json.dumps({"event": "start", "model": "", "voice": ""}))
            ws.send("y" * (2 * 2**20))
            list(_drain(ws))
            assert ws.close_code == 1009
        assert s.balance() == 100
        assert httpx.get(f"{s.server.http}/healthz").status_code == 200


def test_rest_speech_bills_and_returns_wav(make_stack: StackFactory) -> None:
    with make_stack(flux=100, rate=10) as s:
        auth = {"Authorization": f"Bearer {s.token}"}
        r = httpx.post(
            f"{s.server.http}/api/v1/audio/speech",
            headers=auth,
            timeout=60,
            json={
                "model": "piper-medium",
                "input": "Hello from the REST route. Two sentences.",
                "voice": "",
                "response_format": "wav",
                "speed": 1.0,
            },
        )
        assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
        audio = read_wav(r.content)
        assert audio.duration > 1.0 and audio.peak() > 1000
        assert (r.headers["x-flux-charged"], r.headers["x-flux-balance"]) == ("1", "99")
        assert s.balance() == 99
        pcm = httpx.post(
            f"{s.server.http}/api/v1/audio/speech",
            headers=auth,
            timeout=60,
            json={"input": "Raw please.", "response_format": "pcm"},
        )
        assert pcm.headers["content-type"] == "audio/pcm" and len(pcm.content) > 1000
        for body, code in (
            ({"input": ""}, "bad-request"),
            ({"input": "x", "response_format": "mp3"}, "unsupported-format"),
            ({"input": "x", "speed": 9}, "bad-request"),
            ({"input": "x" * 5000}, "input-too-long"),
        ):
            bad = httpx.post(f"{s.server.http}/api/v1/audio/speech", headers=auth, json=body)
            assert bad.status_code == 400 and bad.json()["error"]["code"] == code
        bad = httpx.post(f"{s.server.http}/api/v1/audio/speech", headers=auth, content=b"{oops")
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad-json"


def test_rest_auth_and_preflight(make_stack: StackFactory) -> None:
    with make_stack(flux=0) as s:
        for path in (
            "/api/v1/audio/voices",
            "/api/v1/audio/models",
            "/api/v1/audio/voices/streaming",
        ):
            assert httpx.get(f"{s.server.http}{path}").status_code == 401
            assert (
                httpx.get(
                    f"{s.server.http}{path}", headers={"Authorization": "Bearer nope"}
                ).status_code
                == 401
            )
        r = httpx.post(f"{s.server.http}/api/v1/audio/speech", json={"input": "Hi."})
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
        r = httpx.post(
            f"{s.server.http}/api/v1/audio/speech",
            json={"input": "Hi."},
            headers={"Authorization": f"Bearer {s.token}"},
        )
        assert r.status_code == 402 and r.json()["error"]["code"] == "insufficient-flux"


def test_me_names_the_user_and_balance(make_stack: StackFactory) -> None:
    with make_stack(flux=42) as s:
        r = httpx.get(f"{s.server.http}/api/v1/me", headers={"Authorization": f"Bearer {s.token}"})
        assert r.json() == {"user": "ada", "person_id": s.user.public_id, "flux": 42}
        assert httpx.get(f"{s.server.http}/api/v1/me").status_code == 401


def test_voices_and_models_come_from_the_upstream(make_stack: StackFactory) -> None:
    with make_stack() as s:
        auth = {"Authorization": f"Bearer {s.token}"}
        streaming = httpx.get(f"{s.server.http}/api/v1/audio/voices/streaming", headers=auth).json()
        own = httpx.get(f"{s.upstream.http_base}/api/voices?provider=piper").json()  # type: ignore[union-attr]
        assert streaming == own and any(v["id"] for v in streaming["voices"])
        assert httpx.get(f"{s.server.http}/api/v1/audio/voices", headers=auth).json() == own
        models = httpx.get(f"{s.server.http}/api/v1/audio/models", headers=auth).json()
        assert models["data"][0]["id"] == "piper-medium"


@pytest.mark.parametrize("path", ["speech", "voices", "models", "voices/streaming"])
def test_legacy_openai_paths_answer_404(make_stack: StackFactory, path: str) -> None:
    with make_stack() as s:
        auth = {"Authorization": f"Bearer {s.token}"}
        method = "POST" if path == "speech" else "GET"
        r = httpx.request(
            method,
            f"{s.server.http}/api/v1/openai/audio/{path}",
            headers=auth,
            json={"input": "Hi."} if method == "POST" else None,
        )
        assert r.status_code == 404 and r.json()["error"]["code"] == "moved"
        assert s.balance() == 100


def test_legacy_openai_websocket_answers_404(make_stack: StackFactory) -> None:
    with make_stack() as s:
        url = s.server.ws_url.replace("/api/v1/audio/", "/api/v1/openai/audio/")
        with pytest.raises(InvalidStatus) as info:
            connect(url, additional_headers={"Authorization": f"Bearer {s.token}"})
        assert info.value.response.status_code == 404


def test_openapi_document_is_valid_and_lists_every_route(make_stack: StackFactory) -> None:
    with make_stack() as s:
        doc = httpx.get(f"{s.server.http}/openapi.json").json()
        validate(doc)
        app: Starlette = s.server.server.config.app  # type: ignore[assignment]
        served = {
            r.path
            for r in app.routes
            if isinstance(r, Route | WebSocketRoute) and "/openai/" not in r.path
        }
        assert served == set(doc["paths"])
        assert not any("/openai/" in p for p in doc["paths"])


def test_builtin_upstream_is_hosted_by_the_server(make_stack: StackFactory) -> None:
    with make_stack(upstream_url="builtin", builtin=EngineOptions(synthesize=tone)) as s:
        t = session(s.server.ws_url, s.token, ["The built in voice speaks. Twice."])
        assert t.names.count("sentence.end") >= 2 and t.audio_bytes > 0
        assert t.last("session.finished")["payload"]["usage"]["text_words"] == 6
        voices = httpx.get(
            f"{s.server.http}/api/v1/audio/voices/streaming",
            headers={"Authorization": f"Bearer {s.token}"},
        ).json()
        assert voices["voices"]

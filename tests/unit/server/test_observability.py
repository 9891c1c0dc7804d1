"""Per-session OpenTelemetry spans (in-memory exporter) and opt-in server analytics."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from app.errors import ServerError
from app.server.config import ANALYTICS
from app.server.store import Store
from app.server.telemetry import tracer_provider
from tests.unit.analytics.test_client import Receiver
from tests.unit.server.conftest import StackFactory
from tests.unit.server.harness import session


def test_session_span_carries_user_model_voice_words_and_flux(make_stack: StackFactory) -> None:
    with make_stack(flux=1, rate=100) as s:
        t = session(
            s.server.ws_url,
            s.token,
            ["Five little words here. And three more."],
            voice="en_US-joe-medium",
        )
        usage = t.last("session.finished")["payload"]["usage"]
        spans = s.finished_spans(1)
        assert [sp.name for sp in spans] == ["tts.session"]
        attrs = dict(spans[0].attributes or {})
        assert attrs["enduser.id"] == s.user.public_id
        assert (attrs["tts.model"], attrs["tts.voice"]) == ("piper-medium", "en_US-joe-medium")
        assert attrs["tts.words"] == usage["text_words"] > 0
        assert (attrs["flux.charged"], attrs["flux.unbilled"]) == (1, usage["text_words"] - 1)
        assert attrs["session.outcome"] == "finished"
        assert attrs["session.id"] == t.last("session.finished")["payload"]["session_id"]


def test_exporter_is_configurable() -> None:
    assert tracer_provider("none") is not None and tracer_provider("console") is not None
    with pytest.raises(ServerError) as info:
        tracer_provider("carrier-pigeon")
    assert info.value.reason == "otel-exporter-unknown"


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def test_server_analytics_when_enabled(
    make_stack: StackFactory,
    store: Store,
    receiver: Receiver,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store.set_config(
        ANALYTICS, {"enabled": True, "project_key": "phc_server", "host": receiver.url}
    )
    with make_stack(flux=1, rate=100) as s:
        t = session(s.server.ws_url, s.token, ["Private words of the user. More of them."])
        assert t.last("session.finished")["payload"]["usage"]["flux_unbilled"] > 0
        assert session(s.server.ws_url, s.token, ["Again."]).close_code == 4402
    assert (
        main(["serve", "--db", db_url, "token", "create", "--user", "bo", "--flux", "7", "--json"])
        == 0
    )
    bo = json.loads(capsys.readouterr().out)
    events = receiver.events()
    names = [e["event"] for e in events]
    assert names.count("speech session finished") == 1
    assert names.count("flux exhausted") == 2  # the session that emptied it, then the refusal
    assert names.count("token created") == 1
    finished = next(e for e in events if e["event"] == "speech session finished")
    assert finished["distinct_id"] == s.user.public_id
    assert finished["properties"]["flux_charged"] == 1 and finished["properties"]["words"] > 0
    created = next(e for e in events if e["event"] == "token created")
    assert created["properties"]["flux_granted"] == 7
    assert created["distinct_id"] == store.user("bo").public_id
    everything = json.dumps([b for _, b in receiver.requests])
    assert "Private words" not in everything and bo["token"] not in everything


def test_server_analytics_off_sends_nothing(
    make_stack: StackFactory,
    store: Store,
    receiver: Receiver,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store.set_config(
        ANALYTICS, {"enabled": False, "project_key": "phc_server", "host": receiver.url}
    )
    with make_stack(flux=5) as s:
        session(s.server.ws_url, s.token, ["Hello."])
    assert main(["serve", "--db", db_url, "token", "create", "--user", "bo", "--json"]) == 0
    capsys.readouterr()
    assert receiver.requests == []

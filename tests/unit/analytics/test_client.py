"""Analytics against a real HTTP receiver on loopback: what is sent; nothing without consent."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from app.analytics import (
    Analytics,
    AnalyticsConfig,
    AvatarApplied,
    ModelImported,
    ShortcutRegistered,
    SpeechSessionStarted,
    size_bucket,
)
from app.analytics.client import grant_consent
from app.paths import DataPaths
from app.settings import SettingsStore


class Receiver:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                receiver.requests.append((self.path, json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def do_GET(self) -> None:
                receiver.requests.append((self.path, {}))
                self.send_response(404)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self) -> list[dict[str, Any]]:
        return [event for path, body in self.requests if path.startswith("/batch")
                for event in body.get("batch", [])]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def test_consent_off_sends_nothing(receiver: Receiver) -> None:
    for consent in ("unasked", "denied"):
        analytics = Analytics(AnalyticsConfig(consent, "install-1", "phc_test", receiver.url))
        assert not analytics.active
        analytics.app_started()
        analytics.capture(ModelImported(vrm_version="1.0", size_bucket="<1MB"))
        analytics.identify("person-7")
        analytics.shutdown()
    assert receiver.requests == []


def test_granted_sends_typed_events_and_identify(receiver: Receiver) -> None:
    analytics = Analytics(AnalyticsConfig("granted", "install-1", "phc_test", receiver.url))
    assert analytics.active
    analytics.app_started()
    analytics.capture(ModelImported(vrm_version="0.x", size_bucket=size_bucket(3 << 20)))
    analytics.capture(AvatarApplied(import_ms=42, ok=True))
    analytics.identify("person-7")
    analytics.capture(SpeechSessionStarted(transport="streaming", provider="streaming"))
    analytics.capture(ShortcutRegistered(ok=False, backend="x11", reason="conflict"))
    analytics.shutdown()
    events = receiver.events()
    names = [e["event"] for e in events]
    assert names == ["app started", "model imported", "avatar applied", "$create_alias",
                     "speech session started", "shortcut registered"]
    assert [e["distinct_id"] for e in events] == ["install-1"] * 4 + ["person-7"] * 2
    assert events[1]["properties"]["size_bucket"] == "1-10MB"
    assert events[3]["properties"]["alias"] == "person-7"  # merges the install into the person
    assert events[5]["properties"]["reason"] == "conflict"
    keys = {b["api_key"] for path, b in receiver.requests if path.startswith("/batch")}
    assert keys == {"phc_test"}


def test_consent_is_asked_once_and_id_made_only_on_yes(data_dir: DataPaths) -> None:
    store = SettingsStore(data_dir.settings_file)
    assert store.load().settings.privacy.analytics_consent == "unasked"
    grant_consent(store, False)
    privacy = store.load().settings.privacy
    assert (privacy.analytics_consent, privacy.install_id) == ("denied", "")
    grant_consent(store, True)
    privacy = store.load().settings.privacy
    assert privacy.analytics_consent == "granted" and len(privacy.install_id) == 36


@pytest.mark.parametrize(("size", "bucket"), [(0, "<1MB"), ((1 << 20) - 1, "<1MB"),
                                               (1 << 20, "1-10MB"), (60 << 20, "50-200MB"),
                                               (5 << 30, ">=200MB")])
def test_size_bucket(size: int, bucket: str) -> None:
    assert size_bucket(size) == bucket

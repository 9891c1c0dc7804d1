"""Who the user is on their speech server: the answer to ``GET /api/v1/me`` for a token.

The desktop "signs in" by holding a streaming server URL and token (Settings > Speech).
Asking the server who that token belongs to lets analytics join the desktop's
anonymous events with the server's events for the same person, without the desktop
ever sending a name: only the server's opaque person id.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from app.errors import SpeechError
from app.speech.http import get_json

__all__ = ["Account", "fetch_account", "server_base_url"]

ME_PATH = "/api/v1/me"


@dataclass(frozen=True)
class Account:
    user: str
    person_id: str
    flux: int


def server_base_url(stream_url: str) -> str:
    """``ws://host:port/api/v1/audio/speech/ws`` -> ``http://host:port`` (wss -> https)."""
    parts = urllib.parse.urlsplit(stream_url)
    scheme = {"ws": "http", "wss": "https", "http": "http", "https": "https"}.get(parts.scheme)
    if scheme is None or not parts.netloc:
        raise SpeechError(f"not a speech server URL: {stream_url!r}", reason="bad-url")
    return urllib.parse.urlunsplit((scheme, parts.netloc, "", "", ""))


def fetch_account(stream_url: str, token: str, *, timeout: float = 5.0) -> Account:
    """The token's account; SpeechError (auth-failed, provider-unreachable, …) otherwise."""
    body = get_json(server_base_url(stream_url) + ME_PATH, api_key=token, timeout=timeout)
    try:
        return Account(str(body["user"]), str(body["person_id"]), int(body["flux"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise SpeechError(f"{stream_url} did not answer who the token belongs to",
                          reason="provider-error") from exc

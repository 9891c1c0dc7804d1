"""Small blocking HTTP helpers over urllib, turning transport failures into SpeechError.

The OpenAI-compatible speech and chat endpoints need only JSON POSTs, GETs and a
line-by-line streamed response, which the standard library does; errors are
mapped to reason codes the UI can explain (unreachable, auth, refused).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from app.errors import SpeechError

__all__ = ["get_json", "open_request", "post_bytes"]


def _request(url: str, *, api_key: str, body: Any | None = None) -> urllib.request.Request:
    headers = {"Accept": "*/*"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    return urllib.request.Request(
        url, data=data, headers=headers, method="POST" if body is not None else "GET"
    )


@contextmanager
def open_request(
    url: str, *, api_key: str = "", body: Any | None = None, timeout: float = 30.0
) -> Iterator[IO[bytes]]:
    if not url.startswith(("http://", "https://")):
        raise SpeechError(f"not an http(s) URL: {url!r}", reason="bad-url")
    try:
        with urllib.request.urlopen(
            _request(url, api_key=api_key, body=body), timeout=timeout
        ) as resp:
            yield resp
    except urllib.error.HTTPError as exc:
        detail = _error_detail(exc)
        if exc.code in (401, 403):
            raise SpeechError(
                f"{url} refused the API key ({exc.code}): {detail}", reason="auth-failed"
            ) from exc
        if exc.code == 404:
            raise SpeechError(f"{url} does not exist (404)", reason="not-found") from exc
        raise SpeechError(f"{url} answered {exc.code}: {detail}", reason="provider-error") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SpeechError(f"cannot reach {url}: {reason}", reason="provider-unreachable") from exc


def _error_detail(exc: urllib.error.HTTPError) -> str:
    try:
        raw = exc.read(4096).decode(errors="replace")
    except OSError:
        return exc.reason or ""
    try:
        data = json.loads(raw)
    except ValueError:
        return raw.strip()[:300]
    err = data.get("error") if isinstance(data, dict) else None
    if isinstance(err, dict):
        return str(err.get("message", err))
    return str(err or data)[:300]


def post_bytes(url: str, body: Any, *, api_key: str = "", timeout: float = 60.0) -> bytes:
    with open_request(url, api_key=api_key, body=body, timeout=timeout) as resp:
        return resp.read()


def get_json(url: str, *, api_key: str = "", timeout: float = 10.0) -> Any:
    with open_request(url, api_key=api_key, timeout=timeout) as resp:
        try:
            return json.loads(resp.read())
        except ValueError as exc:
            raise SpeechError(f"{url} did not answer JSON", reason="provider-error") from exc

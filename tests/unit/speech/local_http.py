"""A tiny real HTTP server on loopback standing in for OpenAI-compatible endpoints.

Speech requests are answered with real audio from the offline voice; chat requests
with a real server-sent-events stream. Every request is recorded for assertions.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["LocalApi", "Route", "serve_api"]

#: handler(body) -> (status, content type, payload bytes or an iterator of chunks)
Route = Callable[[Any], tuple[int, str, "bytes | Iterator[bytes]"]]


@dataclass
class LocalApi:
    base: str
    requests: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)


@contextmanager
def serve_api(routes: dict[tuple[str, str], Route], *, api_key: str = "") -> Iterator[LocalApi]:
    api = LocalApi("")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            return

        def _handle(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            api.requests.append((method, self.path, dict(self.headers), body))
            if api_key and self.headers.get("Authorization") != f"Bearer {api_key}":
                self._send(
                    401,
                    "application/json",
                    json.dumps({"error": {"message": "Incorrect API key provided"}}).encode(),
                )
                return
            route = routes.get((method, self.path))
            if route is None:
                self._send(404, "application/json", b'{"error": "not found"}')
                return
            status, ctype, payload = route(body)
            if isinstance(payload, bytes):
                self._send(status, ctype, payload)
                return
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in payload:
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")

        def _send(self, status: int, ctype: str, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()

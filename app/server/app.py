"""The ASGI application: routes, shared state and the lifespan that cleans up."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Final

from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from app.server import rest
from app.server.analytics import ServerAnalytics
from app.server.config import ANALYTICS, AnalyticsConfig
from app.server.openapi import document
from app.server.proxy import ProxySession
from app.server.state import Limits, ServerState
from app.server.store import Store
from app.server.telemetry import tracer_provider
from app.server.upstream import Upstreams
from app.speech.engine import EngineOptions

__all__ = ["ServerOptions", "create_app"]

#: blocking work (database, voice lists) runs here; the default pool is tiny on 2 cores
THREADS: Final = 32


@dataclass
class ServerOptions:
    engine: Engine
    tracer_provider: TracerProvider | None = None
    #: options of the built-in upstream (tests and benchmarks swap the synthesiser)
    builtin: EngineOptions | None = None
    limits: Limits = field(default_factory=Limits)


async def _ws(websocket: WebSocket) -> None:
    await ProxySession(websocket, websocket.app.state.server).run()


async def _openapi(_request: Request) -> JSONResponse:
    return JSONResponse(document())


def create_app(options: ServerOptions) -> Starlette:
    store = Store(options.engine)
    provider = options.tracer_provider or tracer_provider("none")
    state = ServerState(
        store=store,
        tracer=provider.get_tracer("companion-stage.server"),
        analytics=ServerAnalytics(AnalyticsConfig.parse(store.get_config(ANALYTICS))),
        upstreams=Upstreams(
            options.builtin,
            spares=options.limits.upstream_spares,
            spare_max_age_s=options.limits.upstream_spare_max_age_s,
        ),
        limits=options.limits,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(THREADS, "server-db"))
        refresher = asyncio.create_task(state.keep_config_fresh(), name="config-refresh")
        try:
            yield
        finally:
            refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refresher
            await state.upstreams.close()
            state.analytics.shutdown()
            provider.force_flush()

    routes = [
        Route("/healthz", rest.healthz),
        Route("/openapi.json", _openapi),
        Route("/api/v1/me", rest.me),
        Route("/api/v1/audio/speech", rest.speech, methods=["POST"]),
        Route("/api/v1/audio/voices", rest.voices),
        Route("/api/v1/audio/voices/streaming", rest.voices),
        Route("/api/v1/audio/models", rest.models),
        WebSocketRoute("/api/v1/audio/speech/ws", _ws),
        WebSocketRoute("/api/v1/openai/audio/speech/ws", rest.legacy_ws),
        Route(
            "/api/v1/openai/audio/{rest:path}",
            rest.legacy,
            methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        ),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.server = state
    return app

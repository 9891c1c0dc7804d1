"""Server test fixtures: the same tests on SQLite and on a real PostgreSQL cluster."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import Engine
from starlette.applications import Starlette

from app.paths import DataPaths
from app.server.app import ServerOptions, create_app
from app.server.config import BILLING_RATE, STREAMING_TTS_UPSTREAM
from app.server.db import open_database
from app.server.state import Limits
from app.server.store import Store, User
from app.speech.engine import EngineOptions, EngineThread, StreamingEngine
from tests.unit.server.harness import RunningServer
from tests.unit.server.pg import Cluster, start_cluster

_databases = itertools.count()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    cluster = start_cluster()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, data_dir: DataPaths) -> Iterator[str]:
    """A fresh, empty database of each kind for every test."""
    if request.param == "sqlite":
        yield f"sqlite:///{data_dir.root / 'server-test.db'}"
        return
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    name = f"cs_test_{next(_databases)}"
    admin = cluster.url().replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield cluster.url(name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = open_database(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine: Engine) -> Store:
    return Store(engine)


# -- the whole server on loopback -------------------------------------------------------------


@dataclass
class Stack:
    server: RunningServer
    store: Store
    token: str
    user: User
    upstream: EngineThread | None
    spans: InMemorySpanExporter
    app: Starlette

    def balance(self) -> int:
        return self.store.balance(self.user.id)

    def finished_spans(self, count: int, timeout: float = 15.0) -> list[Any]:
        """The spans once ``count`` have ended (a span ends just after the client's close)."""
        deadline = time.monotonic() + timeout
        while len(spans := self.spans.get_finished_spans()) < count:
            assert time.monotonic() < deadline, f"{len(spans)} of {count} spans ended"
            time.sleep(0.02)
        return list(spans)


StackFactory = Callable[..., AbstractContextManager[Stack]]


@pytest.fixture
def make_stack(store: Store) -> StackFactory:
    """Start an upstream (a real engine, or ``upstream_url``/"builtin") and the server."""

    @contextmanager
    def factory(
        *,
        flux: int = 100,
        rate: int | None = 10,
        seed: bool = True,
        engine_cls: type[StreamingEngine] = StreamingEngine,
        engine_options: EngineOptions | None = None,
        upstream_url: str | None = None,
        builtin: EngineOptions | None = None,
        **limits: Any,
    ) -> Iterator[Stack]:
        with ExitStack() as stack:
            upstream = None
            if upstream_url is None:
                upstream = stack.enter_context(EngineThread(engine=engine_cls(engine_options)))
                upstream_url = upstream.url
            if seed:
                store.set_config(
                    STREAMING_TTS_UPSTREAM,
                    {"url": upstream_url, "provider": "piper", "model": "piper-medium"},
                )
            if rate is not None:
                store.set_config(BILLING_RATE, {"flux_per_100_words": rate})
            token, user = store.create_token("ada")
            if flux:
                user = store.grant("ada", flux)
            exporter = InMemorySpanExporter()
            provider = TracerProvider()
            provider.add_span_processor(SimpleSpanProcessor(exporter))
            options = ServerOptions(
                engine=store.engine,
                tracer_provider=provider,
                builtin=builtin,
                limits=Limits(**limits),
            )
            app = create_app(options)
            server = stack.enter_context(RunningServer(app))
            yield Stack(server, store, token, user, upstream, exporter, app)

    return factory

"""Server test fixtures: the same tests on SQLite and on a real PostgreSQL cluster."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine

from app.paths import DataPaths
from app.server.db import open_database
from app.server.store import Store
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

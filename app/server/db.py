"""Opening the server's database: SQLite under the data dir by default, PostgreSQL by URL.

SQLite gets ``BEGIN IMMEDIATE`` for every transaction that may write (pysqlite's own
deferred BEGIN would let two writers read the same balance and both debit it) and a
busy timeout, so concurrent billing serialises instead of failing. Connections marked
:data:`READ_ONLY` (the store's one-statement lookups: tokens, balances, config) emit no
BEGIN at all: in WAL mode each statement reads a snapshot of its own without waiting
for a writer's commit, so a session's token check never queues behind another
session's bill (nor pays for a BEGIN round of its own). PostgreSQL URLs are
pointed at psycopg 3. The schema is brought to the newest Alembic revision on open.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from app.errors import ServerError
from app.paths import DataPaths

__all__ = ["READ_ONLY", "default_url", "make_engine", "migrate", "open_database"]

SQLITE_BUSY_TIMEOUT_S: Final = 60.0
#: execution options of a connection that only reads, one statement per connection
#: (``engine.connect().execution_options(**READ_ONLY)``); on SQLite it takes no write lock
READ_ONLY: Final[dict[str, Any]] = {"companion_read_only": True}


def default_url(paths: DataPaths) -> str:
    folder = paths.root / "server"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'server.db'}"


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ServerError(f"not a database URL: {url!r}", reason="bad-db-url") from exc
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_size=10, max_overflow=20, pool_pre_ping=True)
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
            pool_size=10,
            max_overflow=20,
            pool_timeout=120,
        )
        _immediate_transactions(engine)
        return engine
    raise ServerError(
        f"unsupported database {backend!r}: use sqlite:///FILE or postgresql://…",
        reason="bad-db-url",
    )


def _immediate_transactions(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy, not pysqlite, emits BEGIN
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        dbapi_connection.execute("PRAGMA journal_mode=WAL")

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get("companion_read_only", False)
        if not read_only:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema with the migrations shipped in ``app/server/migrations``."""
    config = Config()
    config.set_main_option("script_location", "app.server:migrations")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def open_database(url: str) -> Engine:
    engine = make_engine(url)
    try:
        migrate(engine)
    except OperationalError as exc:
        engine.dispose()
        raise ServerError(
            f"cannot open the database {make_url(url).render_as_string()}: {exc.orig}",
            reason="db-unavailable",
        ) from exc
    return engine

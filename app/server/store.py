"""Users, tokens, flux balances, the ledger and the config store, over one SQLAlchemy engine.

Every method is one short transaction. Lookups run one statement on a read-only
connection (on SQLite no BEGIN at all: each reads a snapshot of its own and never
queues behind a writer). Billing locks the user's row first (``SELECT … FOR UPDATE``
on PostgreSQL; on SQLite the whole transaction is ``BEGIN IMMEDIATE``), then looks
for the session's ledger row, so two bills of one session, or many sessions against
one balance, serialise: the balance never goes below zero and a session is never
billed twice. The ledger's unique session id is the backstop.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, select, text
from sqlalchemy.exc import IntegrityError

from app.errors import ServerError
from app.server.billing import Charge, cost, split_charge
from app.server.db import READ_ONLY
from app.server.tables import config, ledger, tokens, users
from app.server.tokens import hash_token, new_token

__all__ = ["LedgerRow", "Store", "User"]


@dataclass(frozen=True)
class User:
    id: int
    name: str
    public_id: str
    flux: int


@dataclass(frozen=True)
class LedgerRow:
    session_id: str
    user: str
    kind: str
    words: int
    flux_charged: int
    unbilled: int
    balance_after: int
    created_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


# Statements every session runs, built once: composing a select costs more than the
# query itself on SQLite (SQLAlchemy caches the compiled form either way).
_AUTHENTICATE = (
    select(users)
    .join(tokens, tokens.c.user_id == users.c.id)
    .where(tokens.c.token_hash == bindparam("token_hash"), tokens.c.revoked_at.is_(None))
)
_CONFIG_VALUE = select(config.c.value).where(config.c.key == bindparam("key"))
_CONFIG_VALUES = select(config.c.key, config.c.value).where(
    config.c.key.in_(bindparam("keys", expanding=True))
)
_BALANCE = select(users.c.flux).where(users.c.id == bindparam("user_id"))
_LOCKED_BALANCE = _BALANCE.with_for_update()
_LEDGER_ROW = select(ledger).where(ledger.c.session_id == bindparam("session_id"))


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _read(self) -> Connection:
        """A connection for one lookup (on SQLite: no write lock, it never waits for a bill)."""
        return self.engine.connect().execution_options(**READ_ONLY)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def ping(self) -> None:
        with self._read() as conn:
            conn.execute(text("SELECT 1"))

    # -- users and tokens ------------------------------------------------------------------

    def _user_by_name(self, conn: Connection, name: str) -> User | None:
        row = conn.execute(select(users).where(users.c.name == name)).mappings().first()
        return User(row["id"], row["name"], row["public_id"], row["flux"]) if row else None

    def ensure_user(self, name: str) -> User:
        name = name.strip()
        if not name:
            raise ServerError("a user needs a name", reason="bad-user")
        with self.engine.begin() as conn:
            user = self._user_by_name(conn, name)
            if user is None:
                conn.execute(
                    users.insert().values(
                        name=name, public_id=str(uuid.uuid4()), flux=0, created_at=_now()
                    )
                )
                user = self._user_by_name(conn, name)
        assert user is not None
        return user

    def user(self, name: str) -> User:
        with self._read() as conn:
            user = self._user_by_name(conn, name)
        if user is None:
            raise ServerError(f"no user called {name!r}", reason="unknown-user")
        return user

    def create_token(self, user_name: str) -> tuple[str, User]:
        """A new token for the user (created when new); the plain token is returned once."""
        user = self.ensure_user(user_name)
        token = new_token()
        with self.engine.begin() as conn:
            conn.execute(
                tokens.insert().values(
                    user_id=user.id, token_hash=hash_token(token), created_at=_now()
                )
            )
        return token, user

    def authenticate(self, token: str) -> User | None:
        if not token:
            return None
        with self._read() as conn:
            row = conn.execute(_AUTHENTICATE, {"token_hash": hash_token(token)}).mappings().first()
        return User(row["id"], row["name"], row["public_id"], row["flux"]) if row else None

    def revoke_tokens(self, user_name: str) -> int:
        user = self.user(user_name)
        with self.engine.begin() as conn:
            result = conn.execute(
                tokens.update()
                .where(tokens.c.user_id == user.id, tokens.c.revoked_at.is_(None))
                .values(revoked_at=_now())
            )
        return int(result.rowcount)

    def balance(self, user_id: int) -> int:
        with self._read() as conn:
            value = conn.execute(_BALANCE, {"user_id": user_id}).scalar_one_or_none()
        if value is None:
            raise ServerError(f"no user with id {user_id}", reason="unknown-user")
        return int(value)

    # -- flux ------------------------------------------------------------------------------

    def _locked_balance(self, conn: Connection, user_id: int) -> int:
        # SQLite already holds the write lock (BEGIN IMMEDIATE)
        query = _BALANCE if self.dialect == "sqlite" else _LOCKED_BALANCE
        value = conn.execute(query, {"user_id": user_id}).scalar_one_or_none()
        if value is None:
            raise ServerError(f"no user with id {user_id}", reason="unknown-user")
        return int(value)

    def grant(self, user_name: str, amount: int) -> User:
        """Add flux (a negative amount takes it away, down to zero); recorded in the ledger."""
        user = self.ensure_user(user_name)
        with self.engine.begin() as conn:
            balance = self._locked_balance(conn, user.id)
            new = max(0, balance + amount)
            conn.execute(users.update().where(users.c.id == user.id).values(flux=new))
            conn.execute(
                ledger.insert().values(
                    session_id=f"grant-{uuid.uuid4()}",
                    user_id=user.id,
                    kind="grant",
                    words=0,
                    flux_charged=balance - new,
                    unbilled=0,
                    balance_after=new,
                    created_at=_now(),
                )
            )
        return User(user.id, user.name, user.public_id, new)

    def bill(self, session_id: str, user_id: int, words: int, flux_per_100_words: int) -> Charge:
        """Debit a finished session once; a second call with the same id charges nothing."""
        due = cost(words, flux_per_100_words)
        try:
            with self.engine.begin() as conn:
                balance = self._locked_balance(conn, user_id)
                previous = self._billed(conn, session_id)
                if previous is not None:
                    return previous
                charged, unbilled = split_charge(due, balance)
                conn.execute(
                    users.update().where(users.c.id == user_id).values(flux=users.c.flux - charged)
                )
                conn.execute(
                    ledger.insert().values(
                        session_id=session_id,
                        user_id=user_id,
                        kind="session",
                        words=words,
                        flux_charged=charged,
                        unbilled=unbilled,
                        balance_after=balance - charged,
                        created_at=_now(),
                    )
                )
                return Charge(session_id, words, charged, unbilled, balance - charged)
        except IntegrityError:
            # a concurrent bill of the same session won the unique key: report its row
            with self._read() as conn:
                previous = self._billed(conn, session_id)
            if previous is None:
                raise
            return previous

    def _billed(self, conn: Connection, session_id: str) -> Charge | None:
        row = conn.execute(_LEDGER_ROW, {"session_id": session_id}).mappings().first()
        if row is None:
            return None
        return Charge(
            session_id,
            row["words"],
            row["flux_charged"],
            row["unbilled"],
            row["balance_after"],
            duplicate=True,
        )

    def ledger(self, user_name: str | None = None, limit: int = 100) -> list[LedgerRow]:
        query = (
            select(ledger, users.c.name)
            .join(users, users.c.id == ledger.c.user_id)
            .order_by(ledger.c.id.desc())
            .limit(limit)
        )
        if user_name:
            query = query.where(users.c.name == user_name)
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            LedgerRow(
                r["session_id"],
                r["name"],
                r["kind"],
                r["words"],
                r["flux_charged"],
                r["unbilled"],
                r["balance_after"],
                r["created_at"],
            )
            for r in rows
        ]

    def charged_total(self, user_id: int) -> int:
        query = select(func.coalesce(func.sum(ledger.c.flux_charged), 0)).where(
            ledger.c.user_id == user_id, ledger.c.kind == "session"
        )
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    # -- config key/value ------------------------------------------------------------------

    def get_config(self, key: str) -> Any | None:
        with self._read() as conn:
            raw = conn.execute(_CONFIG_VALUE, {"key": key}).scalar_one_or_none()
        return None if raw is None else json.loads(raw)

    def get_configs(self, *keys: str) -> dict[str, Any]:
        """The entries among ``keys`` that exist, read in one query."""
        with self._read() as conn:
            rows = conn.execute(_CONFIG_VALUES, {"keys": list(keys)}).all()
        return {key: json.loads(raw) for key, raw in rows}

    def set_config(self, key: str, value: Any) -> None:
        raw = json.dumps(value, sort_keys=True)
        with self.engine.begin() as conn:
            updated = conn.execute(
                config.update().where(config.c.key == key).values(value=raw, updated_at=_now())
            )
            if updated.rowcount == 0:
                conn.execute(config.insert().values(key=key, value=raw, updated_at=_now()))

    def delete_config(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(config.delete().where(config.c.key == key))

"""Storage on SQLite and PostgreSQL: migrations, hashed tokens, grants, idempotent billing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import inspect, select

from app.errors import ServerError
from app.server.billing import cost, split_charge
from app.server.db import migrate, open_database
from app.server.store import Store
from app.server.tables import tokens


def test_migrations_create_the_tables_and_are_repeatable(store: Store) -> None:
    names = set(inspect(store.engine).get_table_names())
    assert {"users", "tokens", "ledger", "config", "alembic_version"} <= names
    migrate(store.engine)  # a second upgrade is a no-op, not an error
    with store.engine.connect() as conn:
        assert (
            conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one() == "0001"
        )


def test_token_is_shown_once_and_only_its_hash_is_stored(store: Store) -> None:
    token, user = store.create_token("ada")
    assert token.startswith("cst_") and len(token) > 40
    with store.engine.connect() as conn:
        stored = conn.execute(select(tokens.c.token_hash)).scalars().all()
    assert len(stored) == 1 and stored[0] != token and token not in stored[0]
    authed = store.authenticate(token)
    assert authed is not None and authed.name == "ada" and authed.id == user.id
    assert store.authenticate(token + "x") is None
    assert store.authenticate("") is None
    assert store.revoke_tokens("ada") == 1
    assert store.authenticate(token) is None


def test_grant_and_balance(store: Store) -> None:
    store.create_token("bo")
    assert store.grant("bo", 30).flux == 30
    assert store.grant("bo", -50).flux == 0  # never below zero
    rows = store.ledger("bo")
    assert [(r.kind, r.flux_charged, r.balance_after) for r in rows] == [
        ("grant", 30, 0),
        ("grant", -30, 30),
    ]
    with pytest.raises(ServerError) as info:
        store.user("nobody-here")
    assert info.value.reason == "unknown-user"


@pytest.mark.parametrize(
    ("words", "rate", "due"),
    [(0, 5, 0), (1, 5, 1), (100, 5, 5), (101, 5, 6), (250, 1, 3), (40, 0, 0)],
)
def test_cost_rounds_up_per_started_hundred(words: int, rate: int, due: int) -> None:
    assert cost(words, rate) == due


def test_split_charge() -> None:
    assert split_charge(5, 10) == (5, 0)
    assert split_charge(5, 3) == (3, 2)
    assert split_charge(5, 0) == (0, 5)


def test_billing_is_idempotent_and_partial_when_short(store: Store) -> None:
    user = store.grant("cy", 10)
    first = store.bill("s-1", user.id, 300, 2)  # 6 flux
    assert (first.flux_charged, first.unbilled, first.balance, first.duplicate) == (6, 0, 4, False)
    again = store.bill("s-1", user.id, 300, 2)
    assert (again.flux_charged, again.balance, again.duplicate) == (6, 4, True)
    assert store.balance(user.id) == 4
    short = store.bill("s-2", user.id, 500, 2)  # 10 due, 4 left
    assert (short.flux_charged, short.unbilled, short.balance) == (4, 6, 0)
    row = store.ledger("cy")[0]
    assert (row.session_id, row.words, row.flux_charged, row.unbilled) == ("s-2", 500, 4, 6)


def test_config_store_roundtrip(store: Store) -> None:
    assert store.get_config("K") is None
    store.set_config("K", {"a": 1})
    store.set_config("K", {"a": 2, "b": [1]})
    assert store.get_config("K") == {"a": 2, "b": [1]}
    store.set_config("L", [3])
    assert store.get_configs("K", "L", "M") == {"K": {"a": 2, "b": [1]}, "L": [3]}
    store.delete_config("K")
    assert store.get_config("K") is None
    assert store.get_configs("K", "M") == {}


def test_thousand_sessions_billed_concurrently_never_below_zero_nor_twice(store: Store) -> None:
    """1,000 sessions (each submitted twice, as a retry would) race for a balance of 600."""
    user = store.grant("dee", 600)
    ids = [f"load-{i}" for i in range(1000)]
    with ThreadPoolExecutor(max_workers=24) as pool:
        charges = list(pool.map(lambda sid: store.bill(sid, user.id, 100, 1), ids + ids))
    fresh = [c for c in charges if not c.duplicate]
    assert len(fresh) == 1000  # each session billed exactly once
    assert sum(c.flux_charged for c in fresh) == 600
    assert sum(c.unbilled for c in fresh) == 400
    assert all(c.balance >= 0 for c in charges)
    assert store.balance(user.id) == 0
    assert store.charged_total(user.id) == 600
    rows = store.ledger("dee", limit=5000)
    assert len([r for r in rows if r.kind == "session"]) == 1000


def test_bad_database_url_is_a_clear_error() -> None:
    with pytest.raises(ServerError) as info:
        open_database("mysql://x@localhost/db")
    assert info.value.reason == "bad-db-url"
    with pytest.raises(ServerError) as info:
        open_database("postgresql://nobody@127.0.0.1:1/none")
    assert info.value.reason == "db-unavailable"

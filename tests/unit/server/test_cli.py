"""The ``serve`` housekeeping commands, run through the real CLI on both databases."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.cli import main
from app.paths import DataPaths
from app.server.config import BILLING_RATE, STREAMING_TTS_UPSTREAM
from app.server.db import open_database
from app.server.store import Store


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_token_create_prints_once_and_grants(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run_json(
        capsys,
        "serve",
        "--db",
        db_url,
        "token",
        "create",
        "--user",
        "ada",
        "--flux",
        "25",
        "--json",
    )
    assert out["user"] == "ada" and out["flux"] == 25
    engine = open_database(db_url)
    try:
        store = Store(engine)
        user = store.authenticate(out["token"])
        assert user is not None and user.flux == 25
        # the plain token is nowhere in the database
        with engine.connect() as conn:
            for table in ("users", "tokens", "ledger", "config"):
                dump = str(conn.exec_driver_sql(f"SELECT * FROM {table}").all())
                assert out["token"] not in dump
    finally:
        engine.dispose()
    # --db after the sub-command works too
    out = run_json(capsys, "serve", "flux", "grant", "--user", "ada", "5", "--db", db_url, "--json")
    assert out["flux"] == 30
    assert main(["serve", "--db", db_url, "ledger", "--user", "ada"]) == 0
    table = capsys.readouterr().out
    assert "grant" in table and "ada" in table


def test_seed_streaming_tts_writes_upstream_and_rate(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run_json(capsys, "serve", "--db", db_url, "seed-streaming-tts", "--json")
    assert out["upstream"]["url"] == "builtin" and out["rate"] == {"flux_per_100_words": 1}
    run_json(
        capsys,
        "serve",
        "--db",
        db_url,
        "seed-streaming-tts",
        "--url",
        "ws://127.0.0.1:9/x",
        "--auth",
        "secret",
        "--rate",
        "3",
        "--json",
    )
    engine = open_database(db_url)
    try:
        store = Store(engine)
        upstream = store.get_config(STREAMING_TTS_UPSTREAM)
        assert upstream is not None and upstream["auth"] == "secret"
        assert store.get_config(BILLING_RATE) == {"flux_per_100_words": 3}
    finally:
        engine.dispose()
    shown = run_json(capsys, "serve", "--db", db_url, "config", "show", "--json")
    assert shown["config"][STREAMING_TTS_UPSTREAM]["auth"] == "***"


def test_bad_input_gets_reason_codes(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["serve", "--db", db_url, "seed-streaming-tts", "--url", "http://nope", "--json"]) == 1
    )
    assert json.loads(capsys.readouterr().out)["reason"] == "config-invalid"
    assert main(["serve", "--db", db_url, "flux", "balance", "--user", "ghost", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["reason"] == "unknown-user"
    assert main(["serve", "--db", db_url, "config", "set", "BILLING_RATE", "{bad", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["reason"] == "bad-json"
    assert (
        main(
            [
                "serve",
                "--db",
                db_url,
                "config",
                "set",
                "BILLING_RATE",
                '{"flux_per_100_words": -1}',
                "--json",
            ]
        )
        == 1
    )
    assert json.loads(capsys.readouterr().out)["reason"] == "config-invalid"


def test_default_database_is_sqlite_under_the_data_dir(
    data_dir: DataPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run_json(capsys, "serve", "token", "create", "--user", "eve", "--json")
    db = data_dir.root / "server" / "server.db"
    assert db.is_file()
    engine = open_database(f"sqlite:///{db}")
    try:
        assert Store(engine).authenticate(out["token"]) is not None
    finally:
        engine.dispose()

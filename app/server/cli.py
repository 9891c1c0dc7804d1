"""``companion-stage serve`` and its housekeeping sub-commands.

``serve`` runs the speech server; ``serve token create`` makes a token (printed
once), ``serve flux grant`` adds credit, ``serve ledger`` shows what was billed,
``serve seed-streaming-tts`` writes the upstream and billing rate, ``serve config``
reads or writes any config entry. Every sub-command takes ``--db URL`` (default: the
SQLite file under the data dir) and migrates the schema before use.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine

from app.context import AppContext
from app.errors import ServerError
from app.server.analytics import ServerAnalytics, TokenCreated
from app.server.config import (
    ANALYTICS,
    BILLING_RATE,
    BUILTIN,
    STREAMING_TTS_UPSTREAM,
    AnalyticsConfig,
    BillingRate,
    Upstream,
)
from app.server.db import default_url, open_database
from app.server.store import Store

__all__ = ["register"]

DB_HELP = (
    "database URL: sqlite:///FILE or postgresql://USER@HOST/DB (default: SQLite in the data dir)"
)


def register(subparsers: Any) -> None:
    serve = subparsers.add_parser(
        "serve", help="run the speech server (streaming TTS proxy with billing)"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8787)
    serve.add_argument("--db", default=None, help=DB_HELP)
    serve.add_argument(
        "--otel-exporter",
        choices=["none", "console", "otlp"],
        default="none",
        help="where OpenTelemetry spans go (otlp needs opentelemetry-exporter-otlp)",
    )
    serve.set_defaults(run=_serve)
    sub = serve.add_subparsers(dest="serve_command", metavar="SUBCOMMAND")

    def leaf(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
        # SUPPRESS keeps a --db given before the sub-command
        parser.add_argument("--db", default=argparse.SUPPRESS, help=DB_HELP)
        parser.add_argument("--json", action="store_true")
        return parser

    token = sub.add_parser("token", help="API tokens").add_subparsers(
        dest="token_command", required=True
    )
    create = leaf(
        token.add_parser("create", help="create a token (printed once; only its hash is kept)")
    )
    create.add_argument("--user", required=True)
    create.add_argument("--flux", type=int, default=0, help="flux to grant the user now")
    create.set_defaults(run=_token_create)
    revoke = leaf(token.add_parser("revoke", help="revoke every token of a user"))
    revoke.add_argument("--user", required=True)
    revoke.set_defaults(run=_token_revoke)

    flux = sub.add_parser("flux", help="flux balances").add_subparsers(
        dest="flux_command", required=True
    )
    grant = leaf(flux.add_parser("grant", help="add flux to a user (negative takes it away)"))
    grant.add_argument("--user", required=True)
    grant.add_argument("amount", type=int)
    grant.set_defaults(run=_flux_grant)
    balance = leaf(flux.add_parser("balance", help="show a user's balance"))
    balance.add_argument("--user", required=True)
    balance.set_defaults(run=_flux_balance)

    ledger = leaf(sub.add_parser("ledger", help="show billed sessions and grants, newest first"))
    ledger.add_argument("--user")
    ledger.add_argument("--limit", type=int, default=50)
    ledger.set_defaults(run=_ledger)

    seed = leaf(sub.add_parser("seed-streaming-tts", help="write the streaming TTS upstream entry"))
    seed.add_argument(
        "--url", default=BUILTIN, help="ws(s):// URL of the upstream, or 'builtin' (default)"
    )
    seed.add_argument("--provider", default="piper")
    seed.add_argument("--model", default="")
    seed.add_argument("--auth", default="", help="bearer token the upstream expects")
    seed.add_argument(
        "--rate",
        type=int,
        default=None,
        help="flux per 100 words (default: keep the current rate, else 1)",
    )
    seed.set_defaults(run=_seed)

    config = sub.add_parser("config", help="the config store").add_subparsers(
        dest="config_command", required=True
    )
    show = leaf(config.add_parser("show", help="print every config entry"))
    show.set_defaults(run=_config_show)
    put = leaf(
        config.add_parser(
            "set",
            help=f"set an entry to a JSON value ({STREAMING_TTS_UPSTREAM}, "
            f"{BILLING_RATE}, {ANALYTICS})",
        )
    )
    put.add_argument("key", choices=[STREAMING_TTS_UPSTREAM, BILLING_RATE, ANALYTICS])
    put.add_argument("value", help="JSON document")
    put.set_defaults(run=_config_set)


def _engine(ctx: AppContext) -> Engine:
    return open_database(getattr(ctx.args, "db", None) or default_url(ctx.paths))


@contextmanager
def _opened_store(ctx: AppContext) -> Iterator[Store]:
    """The database for one command; its pool is closed when the command is done.

    A pool left open holds its PostgreSQL connections until the interpreter tears them
    down, which an embedding process (the tests, a long-lived shell) sees as a leak.
    Commands check their own arguments before opening it (and migrating the schema).
    """
    engine = _engine(ctx)
    try:
        yield Store(engine)
    finally:
        engine.dispose()


def _out(ctx: AppContext, data: dict[str, Any], human: str) -> int:
    print(json.dumps(data, default=str) if getattr(ctx.args, "json", False) else human)
    return 0


def _serve(ctx: AppContext) -> int:
    import uvicorn

    from app.server.app import ServerOptions, create_app
    from app.server.telemetry import tracer_provider

    args = ctx.args
    engine = _engine(ctx)
    if Store(engine).get_config(STREAMING_TTS_UPSTREAM) is None:
        print(
            "note: no streaming TTS upstream is configured; sessions will get config-missing "
            "until `companion-stage serve seed-streaming-tts` is run",
            flush=True,
        )
    app = create_app(
        ServerOptions(engine=engine, tracer_provider=tracer_provider(args.otel_exporter))
    )
    print(
        f"companion-stage speech server on http://{args.host}:{args.port} "
        f"(database: {engine.url.render_as_string()})",
        flush=True,
    )
    try:
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            log_level=_uvicorn_level(ctx),
            ws_max_size=2**20,
            ws="websockets-sansio",
            proxy_headers=True,
        )
    finally:
        engine.dispose()
    return 0


def _uvicorn_level(ctx: AppContext) -> str:
    return str(getattr(ctx.args, "log_level", "info") or "info")


def _token_create(ctx: AppContext) -> int:
    args = ctx.args
    if args.flux < 0:
        raise ServerError("--flux must be 0 or more", reason="bad-flux")
    with _opened_store(ctx) as store:
        token, user = store.create_token(args.user)
        if args.flux:
            user = store.grant(args.user, args.flux)
        analytics = ServerAnalytics(AnalyticsConfig.parse(store.get_config(ANALYTICS)))
    analytics.capture(user.public_id, TokenCreated(flux_granted=args.flux))
    analytics.shutdown()
    return _out(
        ctx,
        {"ok": True, "user": user.name, "token": token, "flux": user.flux},
        f"token for {user.name} (shown once, keep it safe):\n{token}\nbalance: {user.flux} flux",
    )


def _token_revoke(ctx: AppContext) -> int:
    with _opened_store(ctx) as store:
        count = store.revoke_tokens(ctx.args.user)
    return _out(ctx, {"ok": True, "revoked": count}, f"revoked {count} token(s) of {ctx.args.user}")


def _flux_grant(ctx: AppContext) -> int:
    with _opened_store(ctx) as store:
        user = store.grant(ctx.args.user, ctx.args.amount)
    return _out(
        ctx,
        {"ok": True, "user": user.name, "flux": user.flux},
        f"{user.name} now has {user.flux} flux",
    )


def _flux_balance(ctx: AppContext) -> int:
    with _opened_store(ctx) as store:
        user = store.user(ctx.args.user)
    return _out(
        ctx, {"ok": True, "user": user.name, "flux": user.flux}, f"{user.name}: {user.flux} flux"
    )


def _ledger(ctx: AppContext) -> int:
    with _opened_store(ctx) as store:
        rows = store.ledger(ctx.args.user, ctx.args.limit)
    if ctx.args.json:
        print(json.dumps([{**r.__dict__, "created_at": r.created_at.isoformat()} for r in rows]))
        return 0
    print(
        f"{'when (UTC)':<20} {'user':<16} {'kind':<8} {'words':>6} {'charged':>8} {'unbilled':>8} "
        f"{'balance':>8}  session"
    )
    for r in rows:
        print(
            f"{r.created_at:%Y-%m-%d %H:%M:%S} {r.user:<16} {r.kind:<8} {r.words:>6} "
            f"{r.flux_charged:>8} {r.unbilled:>8} {r.balance_after:>8}  {r.session_id}"
        )
    return 0


def _seed(ctx: AppContext) -> int:
    args = ctx.args
    upstream = Upstream.parse(
        {"url": args.url, "provider": args.provider, "model": args.model, "auth": args.auth}
    )
    with _opened_store(ctx) as store:
        store.set_config(STREAMING_TTS_UPSTREAM, upstream.to_json())
        if args.rate is not None:
            store.set_config(
                BILLING_RATE, BillingRate.parse({"flux_per_100_words": args.rate}).to_json()
            )
        elif store.get_config(BILLING_RATE) is None:
            store.set_config(BILLING_RATE, BillingRate().to_json())
        rate = BillingRate.parse(store.get_config(BILLING_RATE))
    return _out(
        ctx,
        {
            "ok": True,
            "upstream": {**upstream.to_json(), "auth": "***" if args.auth else ""},
            "rate": rate.to_json(),
        },
        f"streaming TTS upstream: {upstream.url} ({upstream.provider}); "
        f"{rate.flux_per_100_words} flux per 100 words",
    )


def _config_show(ctx: AppContext) -> int:
    with _opened_store(ctx) as store:
        entries = {
            key: store.get_config(key) for key in (STREAMING_TTS_UPSTREAM, BILLING_RATE, ANALYTICS)
        }
    for value in entries.values():
        if isinstance(value, dict) and value.get("auth"):
            value["auth"] = "***"
    return _out(
        ctx,
        {"ok": True, "config": entries},
        "\n".join(
            f"{k}: {json.dumps(v) if v is not None else '(missing)'}" for k, v in entries.items()
        ),
    )


def _config_set(ctx: AppContext) -> int:
    args = ctx.args
    try:
        value = json.loads(args.value)
    except ValueError as exc:
        raise ServerError(f"not a JSON document: {args.value!r}", reason="bad-json") from exc
    parser = {
        STREAMING_TTS_UPSTREAM: Upstream.parse,
        BILLING_RATE: BillingRate.parse,
        ANALYTICS: AnalyticsConfig.parse,
    }[args.key]
    parser(value)  # refuses an invalid entry before it is stored
    with _opened_store(ctx) as store:
        store.set_config(args.key, value)
    return _out(ctx, {"ok": True, "key": args.key}, f"{args.key} set")

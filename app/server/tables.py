"""The server's tables, declared once for queries (the migrations create them).

users hold the flux balance; tokens hold only a SHA-256 of each token; the ledger
has one row per billed session (its session id is unique, which is what makes
billing idempotent) and one per flux grant; config is a small key/value store of
JSON documents (upstream, billing rate, analytics).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = ["config", "ledger", "metadata", "tokens", "users"]

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("public_id", String(36), nullable=False, unique=True),
    Column("flux", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

ledger = Table(
    "ledger",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", String(100), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),  # "session" | "grant"
    Column("words", Integer, nullable=False),
    Column("flux_charged", BigInteger, nullable=False),  # a grant is a negative charge
    Column("unbilled", BigInteger, nullable=False),
    Column("balance_after", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

config = Table(
    "config",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

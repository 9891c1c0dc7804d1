"""API tokens: random, shown once, stored only as a SHA-256 digest.

A token has 256 bits of entropy, so a plain (unsalted) SHA-256 is enough to make a
leaked database useless for signing in, and it lets a lookup be one indexed query.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Final

__all__ = ["PREFIX", "hash_token", "new_token"]

PREFIX: Final = "cst_"


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()

"""What a session costs, as pure arithmetic (the transaction lives in ``store``)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Charge", "cost", "split_charge"]


def cost(words: int, flux_per_100_words: int) -> int:
    """Flux for ``words`` at a rate per 100 words, rounded up (a started block is paid)."""
    if words <= 0 or flux_per_100_words <= 0:
        return 0
    return -(-words * flux_per_100_words // 100)


def split_charge(due: int, balance: int) -> tuple[int, int]:
    """(charged, unbilled): charge what the balance holds, never driving it below zero."""
    charged = max(0, min(due, balance))
    return charged, due - charged


@dataclass(frozen=True)
class Charge:
    session_id: str
    words: int
    flux_charged: int
    unbilled: int
    balance: int
    #: True when this session id was billed before (a retry): nothing was charged now
    duplicate: bool = False
